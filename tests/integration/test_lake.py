"""The built warehouse's shared raw layer: the lake beside it holds exactly the raw tables, as Parquet."""

from __future__ import annotations

from orchestration.lib import lake
from orchestration.lib.sources import SOURCES
from tests.integration.conftest import Pipeline


def test_every_raw_table_is_in_the_lake_row_for_row_partitioned_by_load(built: Pipeline, db):
    root = str(built.warehouse.parent / "lake")
    loads = {row[0] for row in db.execute("select distinct load_id from audit.load_files").fetchall()}
    for spec in SOURCES:
        (raw_rows,) = db.execute(f"select count(*) from raw.{spec.table}").fetchall()[0]
        files = lake.published_files(root, spec.table)
        if raw_rows == 0:
            assert files == [], spec.table
            continue
        partitions = {path.split(f"{lake.PARTITION_COLUMN}=")[1].split("/")[0] for path in files}
        assert partitions <= loads, spec.table
        # hive_partitioning off: the files' own columns, exactly the raw table's
        difference = db.execute(
            f"select (select count(*) from (select * from raw.{spec.table} except all "
            "select * from read_parquet(?, hive_partitioning = false))), "
            "(select count(*) from (select * from read_parquet(?, hive_partitioning = false) except all "
            f"select * from raw.{spec.table}))",
            [files, files],
        ).fetchall()
        assert difference == [(0, 0)], spec.table
