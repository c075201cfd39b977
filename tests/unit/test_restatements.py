"""Restatement notices: which file replaced how many keys of which file, and the name-order trap.

Small landing folders loaded with the real ingestion; the expected pairs and
counts are worked out by hand from staging's rule (file name, then mtime).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.lib import restatements
from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME
from orchestration.lib.warehouse import connect

GOOGLE = SOURCES_BY_NAME["google_ads"]
HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "metrics.cost_micros,metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value"
)
DAY = 86_400
T0 = 1_760_000_000


def write(landing: Path, name: str, rows: list[str], mtime: int) -> None:
    path = landing / GOOGLE.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    os.utime(path, (mtime, mtime))


def row(day: int, campaign: str, micros: int, customer: str = "5824719301") -> str:
    return f"2025-03-{day:02d},{customer},USD,{campaign},C,{micros},,,,"


def load(db: duckdb.DuckDBPyConnection, landing: Path, load_id: str) -> list[restatements.Restatement]:
    ingest_source(db, GOOGLE, landing, IngestionSettings(), load_id=load_id)
    return restatements.restatements_of_load(db, load_id)


def test_each_restating_file_is_listed_with_the_keys_it_replaced(db, landing):
    write(landing, "g_2025-03.csv", [row(day, "1", 1_000_000) for day in range(1, 6)], T0)
    assert load(db, landing, "first") == [], "a first delivery restates nothing"

    # 3 of the 5 days restated (one with the dashed customer id: the same key), plus a new day
    write(
        landing,
        "g_2025-03_v2.csv",
        [row(1, "1", 2_000_000), row(2, "1", 2_000_000), row(3, "01", 2_000_000, "582-471-9301"), row(9, "1", 1)],
        T0 + DAY,
    )
    assert load(db, landing, "second") == [
        restatements.Restatement("google_ads", "g_2025-03_v2.csv", "g_2025-03.csv", 3, False, True)
    ]
    assert restatements.summary_lines(restatements.restatements_of_load(db, "second")) == [
        "  google_ads: g_2025-03_v2.csv replaced 3 key(s) of g_2025-03.csv"
    ]

    # a third file restating day 1 again replaces the v2 version (the one staging served), not the original
    write(landing, "g_2025-03_v3.csv", [row(1, "1", 3_000_000)], T0 + 2 * DAY)
    assert load(db, landing, "third") == [
        restatements.Restatement("google_ads", "g_2025-03_v3.csv", "g_2025-03_v2.csv", 1, False, True)
    ]


def test_a_newer_browser_copy_that_sorts_first_is_named(db, landing):
    write(landing, "export.csv", [row(1, "1", 1_000_000), row(2, "1", 1_000_000)], T0)
    load(db, landing, "first")
    # the corrected export, downloaded again the next day: the browser calls it 'export (1).csv'
    write(landing, "export (1).csv", [row(1, "1", 5_000_000), row(2, "1", 5_000_000)], T0 + DAY)
    found = load(db, landing, "second")
    assert found == [restatements.Restatement("google_ads", "export.csv", "export (1).csv", 2, True, False)]
    assert restatements.summary_lines(found) == [
        "  google_ads: export (1).csv: 2 key(s) not applied, export.csv (loaded before, sorts after it) restates them",
        "  WARNING google_ads: export (1).csv is newer than export.csv but sorts first, so export.csv wins; "
        "if export (1).csv is the correction, rename it to sort after export.csv (e.g. add a date or a _v2 "
        "suffix) and run again",
    ]
    # and staging's rule indeed serves export.csv's figures
    served = db.execute(
        "select _source_file from (select *, row_number() over (partition by segments_date, customer_id, "
        "campaign_id order by _source_file desc, _file_modified_at desc, _line_number desc) as r "
        "from raw.google_ads) where r = 1"
    ).fetchall()
    assert served == [("export.csv",), ("export.csv",)]


def test_two_files_of_one_load_restating_each_other_are_listed(db, landing):
    write(landing, "a.csv", [row(1, "1", 1), row(2, "1", 1), row(3, "1", 1)], T0 + DAY)
    write(landing, "b.csv", [row(2, "1", 2), row(3, "1", 2)], T0)
    assert load(db, landing, "only") == [restatements.Restatement("google_ads", "b.csv", "a.csv", 2, True, True)]


def test_a_warehouse_without_restatements_says_nothing(tmp_path: Path):
    with connect(tmp_path / "empty.duckdb") as connection:
        assert restatements.restatements_of_load(connection, "any") == []
