"""How long dbt takes to build the project on local Spark, per Spark setting, and which models take it.

Rebuilds every model of a built DuckDB pipeline on the ``spark`` target, as
tests/integration/test_engine_comparison.py does (tests and unit tests left out), once per configuration,
each on a fresh copy of the pipeline folder (its warehouse and lake; Spark's own state and the layers
Spark wrote before are not copied). A configuration overrides the spark target of dbt_project/profiles.yml
through a copy of the file: ``threads`` is the target's, any other key a Spark setting
(``server_side_parameters``). Prints per configuration the wall seconds of the dbt build, dbt's node
seconds summed (run_results.json; the rest is the JVM, the session and dbt itself), and the slowest nodes:

    .venv/bin/python bench/bench_spark_build.py --pipeline warehouse \\
        --config threads=1 --config threads=2 --config spark.sql.shuffle.partitions=1

``--pipeline`` is a folder holding ``roi.duckdb`` and ``lake/`` (``make run``'s ``warehouse/``, or a test's
built pipeline). ``--config ''`` is the profile as shipped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.lib import spark_engine  # noqa: E402
from orchestration.lib.settings import DBT_PROJECT_DIR, dbt_vars  # noqa: E402

DBT = Path(sys.executable).parent / "dbt"


def parse_config(text: str) -> dict[str, str]:
    """``"threads=2,spark.sql.shuffle.partitions=2"`` -> ``{"threads": "2", "spark.sql.shuffle.partitions": "2"}``."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    return {key.strip(): value.strip() for key, value in pairs}


def write_profiles(folder: Path, overrides: dict[str, str]) -> None:
    """profiles.yml with the spark target's threads and Spark settings overridden, in ``folder``."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    spark = profiles["roi_warehouse"]["outputs"]["spark"]
    for key, value in overrides.items():
        if key == "threads":
            spark["threads"] = int(value)
        else:
            spark["server_side_parameters"][key] = value
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))


def copy_pipeline(source: Path, destination: Path) -> None:
    """The pipeline folder without Spark's state and without what Spark wrote to the lake."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        if here == source:
            return {"spark"} & set(names)
        if here == source / "lake":
            return set(spark_engine.LAKE_LAYERS) & set(names)
        return set()

    shutil.copytree(source, destination, ignore=ignored)


def build_once(pipeline: Path, overrides: dict[str, str], scratch: Path, select: list[str]) -> tuple[float, list[dict]]:
    """Wall seconds of one dbt build on Spark and its run results."""
    copy = scratch / "pipeline"
    copy_pipeline(pipeline, copy)
    write_profiles(scratch / "profiles", overrides)
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    started = time.perf_counter()
    completed = spark_engine.build(
        copy / "roi.duckdb",
        str(copy / "lake"),
        [
            "build",
            "--vars",
            json.dumps(dbt_vars()),
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            *(["--select", *select] if select else []),
            "--target-path",
            str(scratch / "target"),
            "--profiles-dir",
            str(scratch / "profiles"),
        ],
        project_dir=DBT_PROJECT_DIR,
        dbt_executable=DBT,
        manifest=manifest,
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"dbt build on Spark failed ({overrides}):\n{completed.stdout[-4000:]}")
    results = json.loads((scratch / "target" / "run_results.json").read_text())["results"]
    return seconds, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", type=Path, default=REPO / "warehouse")
    parser.add_argument("--config", action="append", default=None, help="key=value,...; repeat for more")
    parser.add_argument("--slowest", type=int, default=12)
    parser.add_argument("--select", nargs="*", default=[], help="dbt node selection (default: every model)")
    arguments = parser.parse_args()
    pipeline = arguments.pipeline.resolve()
    if not (pipeline / "roi.duckdb").exists() or not spark_engine.published_raw_tables(str(pipeline / "lake")):
        raise SystemExit(f"{pipeline} holds no built warehouse with a published lake (make run first)")
    for text in arguments.config or [""]:
        overrides = parse_config(text)
        with tempfile.TemporaryDirectory(prefix="roi-bench-spark-") as folder:
            seconds, results = build_once(pipeline, overrides, Path(folder), arguments.select)
        node_seconds = sum(result["execution_time"] for result in results)
        print(
            f"\n{text or 'as shipped'}: dbt build on Spark {seconds:.0f} s wall, "
            f"{len(results)} nodes, "
            f"node seconds summed {node_seconds:.0f} s"
        )
        for result in sorted(results, key=lambda result: -result["execution_time"])[: arguments.slowest]:
            print(f"  {result['execution_time']:7.1f} s  {result['unique_id']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
