"""The snapshot copies only what changed since the last publish, and still equals a snapshot written from scratch.

A day of new spend rebuilds the spend and pacing marts and leaves the 10M-row credit fact as it was; the
publish that follows must not copy that fact again, and a reader must not be able to tell the difference
from a full copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import snapshot


def _warehouse(tmp_path: Path) -> Path:
    warehouse = tmp_path / "wh" / "roi.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as connection:
        for schema in ("marts", "audit", "reference", "staging"):
            connection.execute(f"create schema {schema}")
        connection.execute(
            "create table marts.fct_credits as select range as id, range * 0.5 as credit from range(5000)"
        )
        connection.execute(
            "create table marts.fct_pacing as select * from (values ('2026-12', 10.0)) as t(period, spend)"
        )
        connection.execute(
            "create table audit.rejected_rows as select 'a.csv' as file, 3 as line, 'secret' as raw_content"
        )
        connection.execute("create table reference.attribution_models as select 'linear' as attribution_model")
        connection.execute("create table staging.not_published as select 1 as x")
    return warehouse


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of a snapshot but its manifest, with its rows in order."""
    with duckdb.connect(str(path), read_only=True) as reader:
        names = reader.execute("select schema_name, table_name from duckdb_tables() order by 1, 2").fetchall()
        return {
            f"{schema}.{table}": reader.execute(f"select * from {schema}.{table} order by all").fetchall()
            for schema, table in names
            if (schema, table) != snapshot.MANIFEST
        }


def _from_scratch(warehouse: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    copy = tmp_path / "scratch" / warehouse.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(warehouse, copy)
    snapshot.snapshot_path(copy).unlink(missing_ok=True)
    published = snapshot.publish(copy)
    assert sorted(published.copied) == sorted(published.tables)
    return _tables(published.path)


def test_a_publish_copies_only_the_tables_whose_content_changed(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    first = snapshot.publish(warehouse)
    assert first.copied == [
        "audit.rejected_rows",
        "marts.fct_credits",
        "marts.fct_pacing",
        "reference.attribution_models",
    ]
    assert first.tables["marts.fct_credits"] == 5000
    credits_export = snapshot.exports_dir(warehouse) / "marts" / "fct_credits.parquet"
    written = credits_export.stat().st_mtime_ns

    again = snapshot.publish(warehouse)
    assert again.copied == []
    assert again.tables == first.tables
    assert again.exports == first.exports
    assert _tables(again.path) == _from_scratch(warehouse, tmp_path)

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into marts.fct_pacing values ('2027-01', 4.0)")
    third = snapshot.publish(warehouse)
    assert third.copied == ["marts.fct_pacing"]
    assert third.tables["marts.fct_pacing"] == 2
    assert credits_export.stat().st_mtime_ns == written  # the big export was not written again
    assert _tables(third.path) == _from_scratch(warehouse, tmp_path)
    pacing = duckdb.sql(f"select count(*) from '{snapshot.exports_dir(warehouse)}/marts/fct_pacing.parquet'")
    assert pacing.fetchall() == [(2,)]

    with duckdb.connect(str(third.path), read_only=True) as reader:
        manifest = dict(
            reader.execute("select table_schema || '.' || table_name, row_count from audit.snapshot_tables").fetchall()
        )
        copied_at = dict(reader.execute("select table_name, copied_at from audit.snapshot_tables").fetchall())
    assert manifest == third.tables
    assert copied_at["fct_pacing"] > copied_at["fct_credits"]


def test_a_change_that_keeps_the_row_count_is_still_copied(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    snapshot.publish(warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("update marts.fct_credits set credit = credit + 1 where id = 4321")
    published = snapshot.publish(warehouse)
    assert published.copied == ["marts.fct_credits"]
    assert _tables(published.path) == _from_scratch(warehouse, tmp_path)


def test_dropped_tables_leave_the_snapshot_and_new_ones_join_it(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    snapshot.publish(warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop table marts.fct_pacing")
        connection.execute("create table marts.fct_new as select 42 as answer")
    published = snapshot.publish(warehouse)
    assert published.copied == ["marts.fct_new"]
    assert "marts.fct_pacing" not in _tables(published.path)
    assert _tables(published.path) == _from_scratch(warehouse, tmp_path)


def test_an_export_changed_or_removed_outside_the_publish_is_written_again(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    snapshot.publish(warehouse)
    exports = snapshot.exports_dir(warehouse) / "marts"
    (exports / "fct_credits.parquet").unlink()
    duckdb.sql(f"copy (select 1 as tampered) to '{exports / 'fct_pacing.parquet'}' (format parquet)")
    published = snapshot.publish(warehouse)
    assert published.copied == ["marts.fct_credits", "marts.fct_pacing"]
    assert duckdb.sql(f"select count(*) from '{exports / 'fct_credits.parquet'}'").fetchall() == [(5000,)]
    assert duckdb.sql(f"select * from '{exports / 'fct_pacing.parquet'}'").fetchall() == [("2026-12", 10.0)]


def test_a_snapshot_without_a_manifest_is_replaced_whole(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    with duckdb.connect(str(snapshot.snapshot_path(warehouse))) as older:  # as publishes before the manifest wrote
        older.execute("create schema marts")
        older.execute("create table marts.fct_credits as select 1 as id")
    published = snapshot.publish(warehouse)
    assert sorted(published.copied) == sorted(published.tables)
    assert _tables(published.path) == _from_scratch(warehouse, tmp_path)


def test_a_change_to_the_columns_left_out_copies_the_table_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    warehouse = _warehouse(tmp_path)
    snapshot.publish(warehouse)
    monkeypatch.setattr(snapshot, "LEFT_OUT_COLUMNS", {})
    published = snapshot.publish(warehouse)
    assert published.copied == ["audit.rejected_rows"]
    assert _tables(published.path)["audit.rejected_rows"] == [("a.csv", 3, "secret")]
