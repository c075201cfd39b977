"""``ROI_ENGINE=spark make run`` end to end: the same CLI run as on DuckDB, every dbt model built on local Spark.

The shared DuckDB build (``built``) has a landing zone; the same files are built again, into a fresh
warehouse, by ``python -m orchestration.cli run`` with ``ROI_ENGINE=spark``: ingestion, both dbt
invocations on Spark (the main one and the one over the solver and optimiser tables), the solvers and the
optimiser reading Spark's marts, the checks, GX suites, reports, alerts and the snapshot. Unlike
``test_engine_comparison.py`` (dbt on Spark over a copy of the DuckDB build, solver tables included), every
table the marts come from here was computed from what Spark built.

Asserted: the run exits 0 and publishes its snapshot; every check the DuckDB run recorded has the same
outcome; the snapshot holds the same marts as the DuckDB run's, row for row (the comparison's rule:
exact, doubles within 1e-9 relative).

Cost: one more CLI build on Spark (about 15 minutes on the 2-core machine under load, 2026-12-07),
after the shared DuckDB build.
"""

from __future__ import annotations

import time

import duckdb
import pytest

from orchestration.lib.snapshot import snapshot_path
from tests.integration.conftest import Pipeline, mart_rows, pipeline_env, run_cli
from tests.integration.test_engine_comparison import _marts, assert_same_rows
from tests.integration.test_engine_comparison import pytestmark as comparison_marks

# The comparison's markers (slow, spark, skipped without PySpark or Java), and spark_run: make test-spark only.
pytestmark = [*comparison_marks, pytest.mark.spark_run]


@pytest.fixture(scope="module")
def spark_run(built: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The shared build's landing zone built by the CLI with ``ROI_ENGINE=spark``, into a fresh warehouse."""
    root = tmp_path_factory.mktemp("spark_run")
    env = {**pipeline_env(root, built.landing), "ROI_ENGINE": "spark"}
    for name in ("ROI_LAKE", "ROI_SPARK_DIR"):  # the lake and Spark's state beside this warehouse
        env.pop(name, None)
    started = time.perf_counter()
    completed = run_cli(env)
    print(f"ROI_ENGINE=spark run: {time.perf_counter() - started:.0f} s")
    assert completed.returncode == 0, f"the Spark run failed:\n{completed.stdout[-8000:]}\n{completed.stderr[-4000:]}"
    return Pipeline(root=root, landing=built.landing, warehouse=root / "roi.duckdb", env=env, first_run=completed)


def _check_outcomes(warehouse: object) -> dict[tuple[str, str], bool]:
    """``(asset, check) -> passed`` of the warehouse's last run, as ``audit.dq_results`` kept them."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            """
            select asset_key, check_name, bool_and(passed)
            from audit.dq_results
            where run_id = (select run_id from audit.dq_results order by evaluated_at desc limit 1)
            group by all
            """
        ).fetchall()
    return {(asset, check): passed for asset, check, passed in rows}


def test_the_spark_run_publishes_its_snapshot(spark_run: Pipeline) -> None:
    snapshot = snapshot_path(spark_run.warehouse)
    assert snapshot.exists(), spark_run.first_run.stdout[-4000:]
    # The summary's verdict covers skipped steps (cli.print_summary); the NOT RUN line names them.
    assert "NOT RUN" not in spark_run.first_run.stdout, spark_run.first_run.stdout[-4000:]
    with duckdb.connect(str(snapshot), read_only=True) as connection:
        schemas = dict(
            connection.execute("select table_schema, count(*) from information_schema.tables group by all").fetchall()
        )
    # Every mart (on Spark the six that are views on DuckDB are tables too), and the three seeds (copied
    # to the lake by the on-run-end hook).
    assert schemas.get("marts") == len(_marts()), schemas
    assert schemas.get("reference") == 3, schemas


def test_every_check_has_the_duckdb_runs_outcome(built: Pipeline, spark_run: Pipeline) -> None:
    on_duckdb, on_spark = _check_outcomes(built.warehouse), _check_outcomes(spark_run.warehouse)
    assert len(on_duckdb) > 100
    assert sorted(set(on_duckdb) ^ set(on_spark)) == []
    differing = {key: (on_duckdb[key], on_spark[key]) for key in on_duckdb if on_duckdb[key] != on_spark[key]}
    assert differing == {}


def test_the_snapshots_marts_equal_the_duckdb_runs(built: Pipeline, spark_run: Pipeline) -> None:
    on_duckdb = mart_rows(snapshot_path(built.warehouse))
    on_spark = mart_rows(snapshot_path(spark_run.warehouse))
    assert set(on_duckdb) <= set(on_spark)
    assert len(on_duckdb) >= 20
    for mart in sorted(on_duckdb):
        assert_same_rows(mart, on_duckdb[mart], on_spark[mart])
