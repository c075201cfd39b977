"""The shared raw layer: each committed load's new raw rows as an immutable Parquet partition."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import lake, settings
from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME

META = SOURCES_BY_NAME["meta_ads"]
HEADER = (
    "date_start,account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,purchases,purchase_value"
)


def drop(landing: Path, name: str, *rows: str) -> None:
    path = landing / META.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))


def load(db, landing: Path, load_id: str, closed_through: str | None = None):
    return ingest_source(db, META, landing, IngestionSettings(), load_id=load_id, closed_through=closed_through)


def partition_rows(root: Path, load_id: str) -> list[tuple]:
    path = root / "raw" / META.table / f"load_id={load_id}" / "part-0.parquet"
    return duckdb.sql(
        "select date_start::varchar, campaign_id, spend, _source_file, _line_number, _load_id "
        "from read_parquet(?, hive_partitioning = false) order by _source_file, _line_number",
        params=[str(path)],
    ).fetchall()


def test_a_load_is_published_as_its_own_partition_with_every_raw_column(db, tmp_path):
    landing, root = tmp_path / "landing", tmp_path / "lake"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,", "2025-03-02,1,EUR,10,A,50.50,,,,")
    load(db, landing, "run-1")
    published = lake.publish_raw(db, str(root), META.table, "run-1")
    assert published.rows == 2
    assert published.path == f"{root}/raw/{META.table}/load_id=run-1"
    assert partition_rows(root, "run-1") == [
        ("2025-03-01", "10", 100.0, "meta_2025-03.csv", 2, "run-1"),
        ("2025-03-02", "10", 50.5, "meta_2025-03.csv", 3, "run-1"),
    ]
    # the whole lake reads back as exactly the raw table, column for column (types included)
    db.execute(
        "create temp table lake_rows as select * from read_parquet(?, hive_partitioning = false)",
        [lake.parquet_glob(str(root), META.table)],
    )
    assert db.execute("describe lake_rows").fetchall() == db.execute(f"describe raw.{META.table}").fetchall()
    difference = db.execute(
        f"select count(*) from (select * from raw.{META.table} except all select * from lake_rows)"
    ).fetchone()
    assert difference == (0,)


def test_the_next_load_writes_only_its_new_rows_and_leaves_earlier_partitions_untouched(db, tmp_path):
    landing, root = tmp_path / "landing", tmp_path / "lake"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,")
    load(db, landing, "run-1")
    lake.publish_raw(db, str(root), META.table, "run-1")
    first = root / "raw" / META.table / "load_id=run-1" / "part-0.parquet"
    first_bytes, first_mtime = first.read_bytes(), first.stat().st_mtime_ns

    drop(landing, "meta_2025-04.csv", "2025-04-01,1,EUR,10,A,70.00,,,,", "2025-04-02,1,EUR,10,A,80.00,,,,")
    load(db, landing, "run-2")
    # a result the caller left unfetched (DuckDB 2.0 then refuses to register a relation on the connection)
    assert db.execute(f"select count(*) from raw.{META.table}").fetchone() == (3,)
    assert lake.publish_raw(db, str(root), META.table, "run-2").rows == 2
    assert [row[3] for row in partition_rows(root, "run-2")] == ["meta_2025-04.csv", "meta_2025-04.csv"]
    assert (first.read_bytes(), first.stat().st_mtime_ns) == (first_bytes, first_mtime)

    # a load with no new file publishes nothing (no empty partition), and the same run never rewrites
    load(db, landing, "run-3")
    assert lake.publish_raw(db, str(root), META.table, "run-3") == lake.Published(META.table, None, 0)
    assert not (root / "raw" / META.table / "load_id=run-3").exists()
    assert lake.publish_raw(db, str(root), META.table, "run-2").rows == 0
    assert sorted(path.name for path in (root / "raw" / META.table).iterdir()) == ["load_id=run-1", "load_id=run-2"]


def test_rows_the_lake_missed_are_caught_up_by_the_next_load(db, tmp_path):
    """A crash after the warehouse commit, or held rows released later: the next publish writes them."""
    landing, root = tmp_path / "landing", tmp_path / "lake"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,")
    load(db, landing, "run-1", closed_through="2025-06")
    lake.publish_raw(db, str(root), META.table, "run-1")
    # a restatement of closed March is held: not in raw, so not in the lake
    drop(landing, "meta_2025-03_restated.csv", "2025-03-01,1,EUR,10,A,120.00,,,,")
    load(db, landing, "run-2", closed_through="2025-06")
    assert lake.publish_raw(db, str(root), META.table, "run-2").rows == 0
    # run-3 loads a new file but "crashes" before publishing; run-4 reopens March, releasing the held row
    drop(landing, "meta_2025-07.csv", "2025-07-01,1,EUR,10,A,75.00,,,,")
    load(db, landing, "run-3", closed_through="2025-06")
    load(db, landing, "run-4", closed_through=None)
    assert lake.publish_raw(db, str(root), META.table, "run-4").rows == 2
    caught_up = partition_rows(root, "run-4")
    assert [(row[3], row[2], row[5]) for row in caught_up] == [
        ("meta_2025-03_restated.csv", 120.0, "run-2"),  # released: keeps the load that read it
        ("meta_2025-07.csv", 75.0, "run-3"),
    ]
    lake_count = duckdb.sql(
        "select count(*) from read_parquet(?)", params=[lake.parquet_glob(str(root), META.table)]
    ).fetchall()
    assert lake_count == db.execute(f"select count(*) from raw.{META.table}").fetchall() == [(3,)]


def test_a_partition_name_must_come_from_a_run_id():
    with pytest.raises(ValueError, match="cannot name a lake partition"):
        lake.partition_folder("/lake", "touchpoints", "../elsewhere")


def test_the_lake_location_is_beside_the_warehouse_unless_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("ROI_WAREHOUSE", str(tmp_path / "wh" / "roi.duckdb"))
    monkeypatch.delenv("ROI_LAKE", raising=False)
    default = settings.RoiConfig()
    assert settings.lake_location(default) == str(tmp_path / "wh" / "lake")
    configured = settings.RoiConfig.model_validate({"lake": {"location": "s3://bucket/roi/"}})
    assert settings.lake_location(configured) == "s3://bucket/roi"
    monkeypatch.setenv("ROI_LAKE", str(tmp_path / "elsewhere"))
    assert settings.lake_location(configured) == str(tmp_path / "elsewhere")
