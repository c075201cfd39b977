"""The large landing-zone generator (``seeds/generate_large.py``) on a small size.

Its touchpoints and conversions are copies of a template journey set; the template is exactly
what ``seeds/generate.py`` writes for the same seed at the template's size. So the checks compare
against ``generate.py``'s own files: every copied file loads without a rejected row, the counts are
the template's times the number of copies, each day still earns the planted revenue, and the other
sources are ``generate.py``'s files byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]
TOUCHPOINTS, COPIES, PER_COPY = 9_000, 5, 1_800  # --template-touchpoints 2000: ceil(9000 / 2000) = 5 copies of 1800
SEED = "7"


def _generate(script: str, out: Path, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "seeds" / script), "--out", str(out), "--seed", SEED, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads((out / "_truth" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Path, dict]:
    large, template = tmp_path_factory.mktemp("large"), tmp_path_factory.mktemp("template")
    large_manifest = _generate(
        "generate_large.py", large, "--touchpoints", str(TOUCHPOINTS), "--template-touchpoints", "2000"
    )
    template_manifest = _generate("generate.py", template, "--touchpoints", str(PER_COPY))
    return large, large_manifest, template, template_manifest


def _valid_rows(manifest: dict, folder: str) -> int:
    return sum(
        entry["rows"] - entry["rejected_rows"] for name, entry in manifest["files"].items() if name.startswith(folder)
    )


def _csv(path: Path, source: str) -> str:
    return f"read_csv('{path}/marketing/{source}/*', header = true, all_varchar = true)"


def test_copied_journeys_load_without_a_rejected_row(zones, db) -> None:
    large, manifest, template, template_manifest = zones
    assert manifest["journey_copies"] == {"copies": COPIES, "touchpoints_per_copy": PER_COPY}
    expected = {
        "touchpoints": TOUCHPOINTS,
        "conversions": COPIES * _valid_rows(template_manifest, "marketing/conversions/"),
    }
    for source, rows in expected.items():
        report = ingest_source(db, SOURCES_BY_NAME[source], large, IngestionSettings(), load_id=f"load-{source}")
        assert (report.rows_rejected, report.rows_loaded, report.raw_row_count) == (0, rows, rows)
        assert _valid_rows(manifest, f"marketing/{source}/") == rows
    # One file per UTC month, as generate.py writes them.
    for folder in ("marketing/touchpoints/", "marketing/conversions/"):
        assert {n for n in manifest["files"] if n.startswith(folder)} == {
            n for n in template_manifest["files"] if n.startswith(folder)
        }
    numbers = db.execute(
        "select min(touchpoint_id), max(touchpoint_id), count(distinct touchpoint_id), "
        "count(distinct anonymous_id) from raw.touchpoints"
    ).fetchone()
    template_visitors = duckdb.sql(f"select count(distinct anonymous_id) from {_csv(template, 'touchpoints')}")
    assert numbers[:3] == ("tp_0000001", f"tp_{TOUCHPOINTS:07d}", TOUCHPOINTS)
    # Every copy is a population of its own (the last copy may miss a visitor whose touches were all left out).
    assert COPIES * template_visitors.fetchall()[0][0] - numbers[3] in range(COPIES)


def test_each_day_still_earns_the_planted_revenue(zones) -> None:
    """Revenue divided over the copies: per UTC day and currency, the template's total within half a cent a copy."""
    large, _, template, _ = zones
    daily = """
        select cast(cast(converted_at as timestamptz) at time zone 'UTC' as date) as day, currency,
            sum(cast(revenue as decimal(18, 2))) as revenue, sum(cast(gross_margin as decimal(18, 2))) as margin,
            count(*) as conversions
        from {files} where currency <> 'XXX' group by all
    """
    with duckdb.connect() as connection:
        connection.execute("set TimeZone = 'UTC'")
        compared = connection.execute(
            f"""
            with large as ({daily.format(files=_csv(large, "conversions"))}),
                template as ({daily.format(files=_csv(template, "conversions"))})
            select count(*), count(large.day), count(template.day),
                max(abs(large.revenue - template.revenue) / template.conversions),
                max(large.conversions - {COPIES} * template.conversions),
                sum(large.margin) / sum(large.revenue) - sum(template.margin) / sum(template.revenue)
            from large full join template using (day, currency)
            """
        ).fetchone()
    days, in_large, in_template, revenue_gap, count_gap, margin_share_gap = compared
    assert days == in_large == in_template > 700
    assert revenue_gap <= 0.005 * COPIES
    assert count_gap == 0
    assert abs(margin_share_gap) < 0.001


def test_other_sources_are_generate_py_files(zones) -> None:
    _, manifest, _, template_manifest = zones
    copied = ("marketing/touchpoints/", "marketing/conversions/")
    others = {name: entry["sha256"] for name, entry in manifest["files"].items() if not name.startswith(copied)}
    assert len(others) > 100
    assert others == {
        name: entry["sha256"] for name, entry in template_manifest["files"].items() if not name.startswith(copied)
    }
