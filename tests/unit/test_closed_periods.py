"""Restatements of months finance has closed are held, not applied, until the month is reopened."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.lib.closed_periods import refresh_held_restatements_view
from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME

META = SOURCES_BY_NAME["meta_ads"]
HEADER = (
    "date_start,account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,purchases,purchase_value"
)


def drop(landing: Path, name: str, *rows: str, mtime: int = 1_700_000_000) -> None:
    path = landing / META.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    os.utime(path, (mtime, mtime))


def load(db, landing: Path, closed_through: str | None):
    report = ingest_source(db, META, landing, IngestionSettings(), load_id="load", closed_through=closed_through)
    refresh_held_restatements_view(db)
    return report


def served(db) -> dict[tuple[str, str], float]:
    """What staging would serve: the latest file's version of each key."""
    rows = db.execute(
        """
        select date_start::varchar, campaign_id, spend from (
            select *, row_number() over (
                partition by date_start, account_id, campaign_id
                order by _source_file desc, _file_modified_at desc, _line_number desc
            ) as version from raw.meta_ads
        ) where version = 1
        """
    ).fetchall()
    return {(day, campaign): float(spend) for day, campaign, spend in rows}


def held(db) -> list[tuple]:
    return db.execute("select source, file_name, line_number, period, status from audit.held_restatements").fetchall()


def test_the_first_load_of_a_closed_month_is_not_a_restatement(db, tmp_path):
    landing = tmp_path / "landing"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,")
    report = load(db, landing, closed_through="2025-06")
    assert (report.rows_loaded, report.rows_held) == (1, 0)
    assert served(db) == {("2025-03-01", "10"): 100.0}


def test_a_restatement_of_a_closed_month_is_held_and_reported_figures_stay(db, tmp_path):
    landing = tmp_path / "landing"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,", "2025-03-02,1,EUR,10,A,50.00,,,,")
    drop(landing, "meta_2025-07.csv", "2025-07-01,1,EUR,10,A,70.00,,,,")
    load(db, landing, closed_through="2025-06")
    drop(
        landing,
        "meta_2025-03_restated.csv",
        "2025-03-01,1,EUR,10,A,120.00,,,,",  # restated: held
        "2025-03-02,1,EUR,10,A,50.00,,,,",  # same figures: nothing changes, applied
        "2025-03-03,1,EUR,10,A,30.00,,,,",  # a late row of a month with data: held
    )
    drop(landing, "meta_2025-07_restated.csv", "2025-07-01,1,EUR,10,A,75.00,,,,")  # open month: applied
    report = load(db, landing, closed_through="2025-06")
    assert report.rows_held == 2
    assert served(db) == {
        ("2025-03-01", "10"): 100.0,
        ("2025-03-02", "10"): 50.0,
        ("2025-07-01", "10"): 75.0,
    }
    assert sorted(held(db)) == [
        ("meta_ads", "meta_2025-03_restated.csv", 2, "2025-03", "held"),
        ("meta_ads", "meta_2025-03_restated.csv", 4, "2025-03", "held"),
    ]
    (record,) = db.execute(
        "select rows_read, rows_loaded, rows_rejected, rows_held from audit.load_files "
        "where file_name = 'meta_2025-03_restated.csv'"
    ).fetchall()
    assert record == (3, 3, 0, 2), "held rows count as loaded (kept, not lost): read = loaded + rejected"


def test_an_older_file_arriving_late_does_not_change_what_is_served_and_is_not_held(db, tmp_path):
    landing = tmp_path / "landing"
    drop(landing, "meta_2025-03_v2.csv", "2025-03-01,1,EUR,10,A,100.00,,,,")
    load(db, landing, closed_through="2025-06")
    drop(landing, "meta_2025-03_v1.csv", "2025-03-01,1,EUR,10,A,90.00,,,,")  # sorts before v2: never served
    report = load(db, landing, closed_through="2025-06")
    assert report.rows_held == 0
    assert served(db) == {("2025-03-01", "10"): 100.0}


def test_reopening_the_month_releases_the_held_rows(db, tmp_path):
    landing = tmp_path / "landing"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,")
    load(db, landing, closed_through="2025-06")
    drop(landing, "meta_2025-03_restated.csv", "2025-03-01,1,EUR,10,A,120.00,,,,")
    load(db, landing, closed_through="2025-06")
    assert served(db) == {("2025-03-01", "10"): 100.0}

    still_closed = load(db, landing, closed_through="2025-03")
    assert still_closed.rows_released == 0

    reopened = load(db, landing, closed_through="2025-02")
    assert reopened.rows_released == 1
    assert served(db) == {("2025-03-01", "10"): 120.0}
    assert held(db) == [("meta_ads", "meta_2025-03_restated.csv", 2, "2025-03", "released")]
    # The released row keeps its file's lineage, so the books still balance per file.
    (count,) = db.execute(
        "select count(*) from raw.meta_ads where _source_file = 'meta_2025-03_restated.csv'"
    ).fetchall()[0]
    assert count == 1


def test_without_a_close_restatements_apply_as_usual(db, tmp_path):
    landing = tmp_path / "landing"
    drop(landing, "meta_2025-03.csv", "2025-03-01,1,EUR,10,A,100.00,,,,")
    load(db, landing, closed_through=None)
    drop(landing, "meta_2025-03_restated.csv", "2025-03-01,1,EUR,10,A,120.00,,,,")
    report = load(db, landing, closed_through=None)
    assert report.rows_held == 0
    assert served(db) == {("2025-03-01", "10"): 120.0}
