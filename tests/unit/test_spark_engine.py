"""What surrounds a dbt invocation on Spark: sources exported to the lake, views over what Spark wrote.

No Spark here: the folders Spark writes are made by DuckDB's own Parquet writer, which is what the
engine-neutral read path reads either way (the engine comparison builds them with Spark).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib import spark_engine


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "roi.duckdb"))
    connection.execute("create schema attribution")
    connection.execute(
        "create table attribution.markov_credits as "
        "select * from (values ('c1', 'email', 0.25), ('c1', 'search', 0.75)) "
        "as credits(conversion_id, channel, credit)"
    )
    yield connection
    connection.close()


def test_export_sources_writes_the_tables_the_warehouse_holds(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lake = str(tmp_path / "lake")
    exported = spark_engine.export_sources(
        warehouse, lake, [("attribution", "markov_credits"), ("incrementality", "mmm_fit_diagnostics")]
    )
    # The MMM table does not exist yet: it is left out (Spark could not infer a schema from nothing).
    assert exported == ["attribution.markov_credits"]
    written = tmp_path / "lake" / "sources" / "attribution" / "markov_credits" / "part-0.parquet"
    assert duckdb.sql(f"select * from read_parquet('{written}') order by channel").fetchall() == [
        ("c1", "email", 0.25),
        ("c1", "search", 0.75),
    ]
    assert not list(written.parent.glob(".*.tmp"))


def test_published_raw_tables_lists_tables_with_a_partition(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "raw" / "touchpoints" / "load_id=run1").mkdir(parents=True)
    duckdb.sql(f"copy (select 1 as x) to '{lake}/raw/touchpoints/load_id=run1/part-0.parquet' (format parquet)")
    (lake / "raw" / "budgets").mkdir(parents=True)  # a folder without a published partition
    assert spark_engine.published_raw_tables(str(lake)) == ["touchpoints"]


def test_attach_lake_tables_replaces_a_table_by_a_view_over_the_parquet(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    folder = lake / "marts" / "fct_conversions"
    folder.mkdir(parents=True)
    for part, (conversion, revenue) in enumerate([("c1", "10.50"), ("c2", "4.25")]):
        duckdb.sql(
            f"copy (select '{conversion}' as conversion_id, cast({revenue} as decimal(18, 6)) as revenue_rc) "
            f"to '{folder}/part-0000{part}.parquet' (format parquet)"
        )
    (lake / "marts" / "not_built_yet").mkdir()
    warehouse.execute("create schema marts")
    warehouse.execute("create table marts.fct_conversions as select 'old' as conversion_id")

    tables = spark_engine.lake_tables(str(lake))
    assert list(tables) == [("marts", "fct_conversions")]
    assert spark_engine.attach_lake_tables(warehouse, str(lake), tables) == 1

    kind = warehouse.execute(
        "select table_type from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'fct_conversions'"
    ).fetchall()
    assert kind == [("VIEW",)]
    rows = warehouse.execute("select conversion_id, revenue_rc from marts.fct_conversions order by 1").fetchall()
    assert [(conversion, str(revenue)) for conversion, revenue in rows] == [("c1", "10.500000"), ("c2", "4.250000")]


def test_dbt_environment_names_the_lake_spark_state_and_registered_sources(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("ROI_SPARK_DIR", raising=False)
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
    environment = spark_engine.dbt_environment("/lake", tmp_path / "roi.duckdb", ["raw.touchpoints", "attribution.x"])
    assert environment == {
        "ROI_LAKE": "/lake",
        "ROI_SPARK_DIR": str(tmp_path / "spark"),
        "ROI_LAKE_SOURCES": "attribution.x,raw.touchpoints",
        # No progress bar on the stream dagster-dbt parses; PySpark's own default otherwise.
        "PYSPARK_SUBMIT_ARGS": "--conf spark.ui.showConsoleProgress=false pyspark-shell",
    }


def test_dbt_environment_keeps_the_users_spark_submit_arguments(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 6g pyspark-shell")
    submit = spark_engine.dbt_environment("/lake", tmp_path / "roi.duckdb")["PYSPARK_SUBMIT_ARGS"]
    assert submit == "--conf spark.ui.showConsoleProgress=false --driver-memory 6g pyspark-shell"
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", submit)  # set already (a second invocation): not added twice
    assert spark_engine.dbt_environment("/lake", tmp_path / "roi.duckdb")["PYSPARK_SUBMIT_ARGS"] == submit


def test_lake_tables_include_the_seeds_copies(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    for layer, name in (("reference", "attribution_models"), ("marts", "dim_channels"), ("sources", "x")):
        (lake / layer / name).mkdir(parents=True)
        duckdb.sql(f"copy (select 1 as x) to '{lake}/{layer}/{name}/part-0.parquet' (format parquet)")
    # The exported sources are Spark's inputs, not tables it built: no view over them.
    assert sorted(spark_engine.lake_tables(str(lake))) == [
        ("marts", "dim_channels"),
        ("reference", "attribution_models"),
    ]
