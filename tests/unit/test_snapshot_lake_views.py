"""On Spark the warehouse's marts are views over the lake's Parquet: the snapshot copies them like tables.

The snapshot is what readers open; it holds no view (a view over the lake would read files a later build
rewrites). Views it is not told about (DuckDB's own view models) stay out, as before.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib import snapshot, spark_engine


def test_views_over_the_lake_are_copied_as_tables_and_other_views_left_out(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    (lake / "marts" / "fct_spend").mkdir(parents=True)
    (lake / "reference" / "attribution_models").mkdir(parents=True)
    duckdb.sql(
        f"copy (select * from (values ('google', 12.5), ('meta', 7.25)) as spend(channel, spend_rc)) "
        f"to '{lake}/marts/fct_spend/part-00000.parquet' (format parquet)"
    )
    duckdb.sql(
        f"copy (select 'markov' as attribution_model) to '{lake}/reference/attribution_models/part-0.parquet' "
        "(format parquet)"
    )
    warehouse = tmp_path / "roi.duckdb"
    tables = spark_engine.lake_tables(str(lake))
    with duckdb.connect(str(warehouse)) as connection:
        spark_engine.attach_lake_tables(connection, str(lake), tables)
        connection.execute("create table marts.fct_built_by_duckdb as select 1 as x")
        connection.execute("create view marts.fct_a_duckdb_view as select 2 as x")

    published = snapshot.publish(warehouse, tables.keys())

    assert published.tables == {
        "marts.fct_built_by_duckdb": 1,
        "marts.fct_spend": 2,
        "reference.attribution_models": 1,
    }
    with duckdb.connect(str(published.path), read_only=True) as reader:
        kinds = reader.execute("select distinct table_type from information_schema.tables").fetchall()
        assert kinds == [("BASE TABLE",)]
        assert reader.execute("select channel, spend_rc from marts.fct_spend order by 1").fetchall() == [
            ("google", 12.5),
            ("meta", 7.25),
        ]
    assert sorted(path.name for path in published.exports) == ["fct_built_by_duckdb.parquet", "fct_spend.parquet"]
