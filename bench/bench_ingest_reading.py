"""How much the content sniffing and the new reading paths cost: prints seconds and rows/s per file shape.

One Google Ads file of N rows is written in several shapes (plain UTF-8, counts
written as floats, gzip under a ``.csv`` name, UTF-16 LE with a BOM, CR-only
line endings, Excel's ``sep=;`` line) and loaded alone into a fresh DuckDB
file with ``ingest_source``; the plain file is also loaded with the ingestion
module of ``--baseline`` (default: the merge base with ``main``) for
comparison. A file rejected whole (UTF-16 without a BOM) shows what counting
its records costs.

    .venv/bin/python bench/bench_ingest_reading.py --rows 500000
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.lib import ingest  # noqa: E402
from orchestration.lib.settings import IngestionSettings  # noqa: E402
from orchestration.lib.sources import SOURCES_BY_NAME  # noqa: E402
from orchestration.lib.warehouse import connect, ensure_audit_schema  # noqa: E402

GOOGLE = SOURCES_BY_NAME["google_ads"]
HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)


def rows(count: int, *, floats: bool = False) -> list[str]:
    suffix = ".0" if floats else ""
    return [
        f"2025-{1 + index % 12:02d}-{1 + index % 28:02d},{100 + index % 7},USD,{index},Campaign {index % 50},"
        f"{(index % 9000) * 1000}{suffix},{index % 5000}{suffix},{index % 300}{suffix},{index % 7},{index % 11}.5"
        for index in range(count)
    ]


def shapes(count: int) -> dict[str, tuple[str, bytes]]:
    plain = (HEADER + "\n" + "\n".join(rows(count)) + "\n").encode()
    floats = (HEADER + "\n" + "\n".join(rows(count, floats=True)) + "\n").encode()
    return {
        "plain UTF-8": ("g.csv", plain),
        "counts written as floats": ("g.csv", floats),
        "gzip under .csv": ("g.csv", gzip.compress(plain, compresslevel=1, mtime=0)),
        "UTF-16 LE with BOM": ("g.csv", b"\xff\xfe" + plain.decode().encode("utf-16-le")),
        "CR-only line endings": ("g.csv", plain.replace(b"\n", b"\r")),
        "Excel sep=; line": ("g.csv", b"sep=;\n" + plain.replace(b",", b";")),
        "rejected whole: UTF-16 without BOM": ("g.csv", plain.decode().encode("utf-16-le")),
    }


def baseline_module(revision: str):
    """The ingestion module as it was at ``revision`` (read with git show, imported from a temp file)."""
    source = subprocess.run(
        ["git", "show", f"{revision}:orchestration/lib/ingest.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "ingest_baseline.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("ingest_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ingest_baseline"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def load_once(module, name: str, content: bytes) -> tuple[float, object]:
    with tempfile.TemporaryDirectory() as folder:
        landing = Path(folder) / "landing"
        path = landing / GOOGLE.folder / name
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        with connect(Path(folder) / "w.duckdb") as connection:
            ensure_audit_schema(connection)
            started = time.perf_counter()
            report = module.ingest_source(connection, GOOGLE, landing, IngestionSettings(), load_id="bench")
            return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--baseline", default=None, help="git revision to compare the plain file with")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many loads per shape")
    args = parser.parse_args()
    revision = (
        args.baseline
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    cases = shapes(args.rows)
    print(f"{args.rows:,} rows per file; best of {args.repeat}")
    print(f"{'shape':<38} {'MB':>7} {'seconds':>8} {'rows/s':>11}  read / loaded / rejected")
    runs = [("plain UTF-8", f"baseline {revision[:8]}", baseline_module(revision))]
    runs += [(shape, "this branch", ingest) for shape in cases]
    for shape, label, module in runs:
        name, content = cases[shape]
        best, report = min((load_once(module, name, content) for _ in range(args.repeat)), key=lambda run: run[0])
        title = f"{shape} ({label})" if label != "this branch" else shape
        counts = f"{report.rows_read} / {report.rows_loaded} / {report.rows_rejected}"
        rate = report.rows_read / best if best else 0
        print(f"{title:<38} {len(content) / 1e6:7.1f} {best:8.2f} {rate:11,.0f}  {counts}")


if __name__ == "__main__":
    main()
