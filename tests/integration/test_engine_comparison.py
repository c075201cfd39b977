"""The same dbt project on Spark gives the same marts as on DuckDB, row by row.

The shared build (``built``, DuckDB) is copied; the copy's dbt models are built again on local Spark
(``ROI_ENGINE=spark``'s target: raw sources from the lake's Parquet, the Dagster-written solver and
MMM tables exported to the lake, every table model written as Parquet in the lake) and the copy's
DuckDB warehouse gets views over the marts' Parquet, the path every reader uses. Every mart is then
compared with the DuckDB build: keys, strings, integers, dates, timestamps and decimals (money) exactly,
doubles within 1e-9 relative. This pins the Spark side of each portability macro
(dbt_project/macros/roi_portability.sql and the ``spark__`` versions): a scrambled path, a day of the
week off by one, a timestamp cut to midnight, a seed's NULL read as 'None' or a decimal rounded would
each change a mart row.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.lib import mart_parity, spark_engine
from orchestration.lib.settings import DBT_PROJECT_DIR, dbt_vars
from tests.integration.conftest import Pipeline, mart_rows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.spark,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None,
        reason="the Spark engine is not installed (make install-spark)",
    ),
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17 or later on PATH"),
]


def assert_same_rows(mart: str, duckdb_rows: list[tuple], spark_rows: list[tuple]) -> None:
    """A mart's rows (both sorted the same way) the same on both engines (``mart_parity.same_value``)."""
    difference = mart_parity.first_difference(mart, duckdb_rows, spark_rows)
    assert difference is None, difference


def _marts() -> list[str]:
    manifest_path = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest_path.exists():
        return []
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(node["name"] for node in nodes if node["resource_type"] == "model" and node["schema"] == "marts")


@pytest.fixture(scope="module")
def spark_build(built: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """Every mart's rows on DuckDB (the shared build) and on Spark (a copy rebuilt by dbt on Spark)."""
    on_duckdb = mart_rows(built.warehouse)
    root = tmp_path_factory.mktemp("spark")
    copy = built.copy_to(root / "pipeline")
    lake = str(copy.root / "lake")
    assert spark_engine.published_raw_tables(lake), "the DuckDB build published no raw table to the lake"
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    started = time.perf_counter()
    completed = spark_engine.build(
        copy.warehouse,
        lake,
        [
            "build",
            "--vars",
            json.dumps(dbt_vars()),
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--target-path",
            str(root / "dbt_target"),
        ],
        project_dir=DBT_PROJECT_DIR,
        dbt_executable=Path(sys.executable).parent / "dbt",
        manifest=manifest,
    )
    print(f"dbt build on Spark: {time.perf_counter() - started:.0f} s")
    assert completed.returncode == 0, completed.stdout[-6000:]
    return on_duckdb, mart_rows(copy.warehouse)


@pytest.mark.parametrize("mart", _marts())
def test_mart_is_the_same_on_spark(spark_build: tuple[dict, dict], mart: str) -> None:
    on_duckdb, on_spark = spark_build
    assert mart in on_duckdb, f"{mart} is not in the DuckDB warehouse"
    assert mart in on_spark, f"{mart} is not in the lake Spark wrote"
    assert_same_rows(mart, on_duckdb[mart], on_spark[mart])


def test_great_expectations_still_imports_beside_pyspark() -> None:
    """With pyspark installed, GX imports pyspark.sql.connect, which exits the process (status 0, nothing
    raised) when Spark Connect's packages are missing and the main module has no file, as under ``python -c``
    or a pytest-xdist worker; requirements-spark.lock installs them."""
    completed = subprocess.run(
        [sys.executable, "-c", "import great_expectations; print('imported')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.stdout.strip().endswith("imported"), completed.stderr[-2000:]
