"""Every hostile landing file in ``tests/corpus/hostile`` gets its documented outcome.

Each case is a landing zone loaded into a fresh warehouse next to a clean control file of its source, as a
build loads it: the landing-zone inventory (``lib/landing.py``: every path accounted for, links never
followed) and then every source. The test checks, per case: each file's status, row counts and message
(landing files, unrecognised paths and links alike, as ``audit.load_files`` records them), the exact
rejected rows (file, line, reason), that rows read = loaded + rejected for every file, that the blocking
checks hold the snapshot back exactly when a file is rejected or unrecognised, that the control file's
rows all arrived, that nothing of a file outside the landing zone reached any table, and, for spend
sources, that the spend in raw after the latest row per natural key is the control's plus the case's
hand-worked ``spend_total`` (no loss, no double count).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.ingest.assets import landing_zone_accounted_for, rejected_files_present
from orchestration.lib.ingest import ingest_source
from orchestration.lib.landing import record_entries, scan_landing_zone
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES, SOURCES_BY_NAME
from orchestration.lib.warehouse import connect, ensure_audit_schema

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hostile"
CASES = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
CONTROL_NAME = "control.csv"
CONTROL = {
    "fx_rates": "rate_date,from_currency,to_currency,rate\n"
    + "".join(f"2024-01-0{day},CHF,USD,1.1{day}\n" for day in range(1, 6)),
    "google_ads": "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,metrics.cost_micros,"
    "metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value\n"
    + "".join(f"2024-01-0{day},999,USD,999,Control,{day}000000,1,1,0,0\n" for day in range(1, 6)),
    "touchpoints": "touchpoint_id,anonymous_id,customer_id,occurred_at,utm_source,utm_medium,utm_campaign,touch_type\n"
    + "".join(f"control-{day},anon-control,,2024-01-0{day}T10:00:00Z,google,organic,,visit\n" for day in range(1, 6)),
    "budgets": "budget_version,fiscal_period,budget_line_id,channel,amount,currency,approved_at,approved_by\n"
    + "".join(
        f"FY2024,2024-0{month},BL-CONTROL,paid_search,100,USD,2023-12-01T00:00:00Z,cfo\n" for month in range(1, 6)
    ),
    "linkedin_ads": "day,account_id,account_currency,campaign_urn,campaign_name,cost_in_local_currency,impressions,"
    "clicks,external_website_conversions\n"
    + "".join(f"2024-01-0{day},999,GBP,urn:li:sponsoredCampaign:999,Control,1.5,,,\n" for day in range(1, 6)),
    "meta_ads": "date_start,account_id,account_currency,campaign_id,campaign_name,spend,impressions,clicks,"
    "purchases,purchase_value\n" + "".join(f"2024-01-0{day},999,EUR,999,Control,2.25,,,,\n" for day in range(1, 6)),
    "campaigns": "platform,campaign_id,campaign_name,channel,budget_line_id,utm_campaign,start_date,end_date,"
    "owner_team\n" + "".join(f"control_system,CONTROL-{day},Control,offline,,,,,\n" for day in range(1, 6)),
    "opportunities": "opportunity_id,customer_id,created_at,stage,amount,currency,expected_close_date,is_closed,"
    "is_won,updated_at\n"
    + "".join(
        f"control,C0,2024-01-01T10:00:00Z,prospecting,1,USD,,0,0,2024-01-0{day}T10:00:00Z\n" for day in range(1, 6)
    ),
}
CONTROL_ROWS = 5
# Spend of the control file, by hand: google 1+2+3+4+5 (micros / 1e6), linkedin 5 x 1.5, meta 5 x 2.25.
CONTROL_SPEND = {"google_ads": 15.0, "linkedin_ads": 7.5, "meta_ads": 11.25}
# Spend sources: the amount in source units and the natural key, written out here (not taken from the
# staging models or the specs) so the check is independent of the code under test.
SPEND = {
    "google_ads": ("metrics_cost_micros / 1e6", "segments_date, customer_id, campaign_id"),
    "meta_ads": ("spend", "date_start, account_id, campaign_id"),
    "linkedin_ads": ("cost_in_local_currency", "day, account_id, campaign_urn"),
    "other_spend": ("spend", "spend_date, source_system, account_id, campaign_id"),
}
# A file outside the landing zone that links in the corpus point to: none of it may reach any table.
OUTSIDE_MARKER = "LEAKED-OUTSIDE"
OUTSIDE_FILE = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,metrics.cost_micros,"
    f"metrics.impressions,metrics.clicks,metrics.conversions,metrics.conversions_value\n"
    f"2024-01-09,999,USD,999,{OUTSIDE_MARKER},777000000,,,,\n"
)


def test_the_corpus_has_at_least_thirty_cases():
    assert len(CASES) >= 30
    files = [path for path in CORPUS.rglob("*") if path.is_file() and path.name not in ("expected.json", "README.md")]
    assert len(files) >= 30


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_gets_its_documented_outcome(case: str, tmp_path: Path):
    expected = json.loads((CORPUS / case / "expected.json").read_text())
    spec = SOURCES_BY_NAME[expected["source"]]
    landing = tmp_path / "landing"
    # Links are copied as links: the case's links point to ``outside/`` beside the landing root.
    shutil.copytree(CORPUS / case, landing, symlinks=True, ignore=shutil.ignore_patterns("expected.json"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text(OUTSIDE_FILE)
    assert not (landing / spec.folder).is_symlink(), "the control goes into a real folder"
    (landing / spec.folder).mkdir(parents=True, exist_ok=True)
    (landing / spec.folder / CONTROL_NAME).write_text(CONTROL[spec.name])

    with connect(tmp_path / "roi.duckdb") as connection:
        ensure_audit_schema(connection)
        scan = scan_landing_zone(landing)
        record_entries(connection, scan.entries, "corpus", datetime(2025, 1, 1))
        reports = [
            ingest_source(connection, other, landing, IngestionSettings(), load_id="corpus") for other in SOURCES
        ]
        assert_outcomes(connection, reports, expected)
        assert_rejected_rows(connection, expected)
        assert_books_balance(connection)
        assert_snapshot_held_back_exactly_when_a_file_is_not_loaded(connection, scan, expected)
        assert_control_intact(connection, spec.table)
        assert_loaded_values(connection, spec.table, expected)
        assert_nothing_from_outside(connection)
        assert_spend_total(connection, spec.name, expected)


def assert_outcomes(connection: duckdb.DuckDBPyConnection, reports, expected: dict) -> None:
    recorded = {
        file_name: (source, status, rows_read, rows_loaded, rows_rejected, message)
        for source, file_name, status, rows_read, rows_loaded, rows_rejected, message in connection.execute(
            "select source, file_name, status, rows_read, rows_loaded, rows_rejected, message "
            "from audit.load_files where file_name != ?",
            [CONTROL_NAME],
        ).fetchall()
    }
    assert set(recorded) == set(expected["files"]), "exactly the expected files and paths were recorded"
    for name, want in expected["files"].items():
        source, status, rows_read, rows_loaded, rows_rejected, message = recorded[name]
        got = (status, rows_read, rows_loaded, rows_rejected)
        assert got == (want["status"], want["rows_read"], want["rows_loaded"], want["rows_rejected"]), name
        if "message_contains" in want:
            assert want["message_contains"] in (message or ""), message
        if "source" in want:
            assert source == want["source"], name
    outcomes = [outcome for report in reports for outcome in report.outcomes if outcome.file_name != CONTROL_NAME]
    for outcome in outcomes:
        if outcome.rows_rejected:
            # The log lines a user reads name the file, the line and the reason.
            name = outcome.file_name
            assert all(sample.startswith(f"{name}:") for sample in outcome.rejected_samples)
            assert all(sample.split(":", 2)[1].strip().isdigit() for sample in outcome.rejected_samples)


def assert_rejected_rows(connection: duckdb.DuckDBPyConnection, expected: dict) -> None:
    rejected = connection.execute(
        "select file_name, line_number, reason_code from audit.rejected_rows where file_name != ? order by 1, 2",
        [CONTROL_NAME],
    ).fetchall()
    assert rejected == [tuple(row) for row in expected["rejected"]]
    blank = connection.execute(
        "select count(*) from audit.rejected_rows where reason is null or reason = '' or raw_content is null"
    ).fetchall()[0][0]
    assert blank == 0, "every rejected row keeps a reason and its raw content"


def assert_books_balance(connection: duckdb.DuckDBPyConnection) -> None:
    unbalanced = connection.execute(
        "select file_name from audit.load_files where rows_read != rows_loaded + rows_rejected"
    ).fetchall()
    assert unbalanced == []
    for spec in SOURCES:
        loaded = connection.execute(
            "select coalesce(sum(rows_loaded), 0) from audit.load_files where source = ?", [spec.name]
        ).fetchall()[0][0]
        in_raw = connection.execute(f"select count(*) from raw.{spec.table}").fetchall()[0][0]
        assert in_raw == loaded, spec.name
    rejected = connection.execute("select coalesce(sum(rows_rejected), 0) from audit.load_files").fetchall()[0][0]
    assert connection.execute("select count(*) from audit.rejected_rows").fetchall()[0][0] == rejected


def assert_snapshot_held_back_exactly_when_a_file_is_not_loaded(
    connection: duckdb.DuckDBPyConnection, scan, expected: dict
) -> None:
    """A rejected file, an unrecognised path with data or a link fails a blocking check; nothing else does."""
    failed = [outcome.description for outcome in [landing_zone_accounted_for(scan)] if not outcome.passed] + [
        outcome.description
        for spec in SOURCES
        if not (outcome := rejected_files_present(connection, spec, scan)).passed
    ]
    not_loaded = [name for name, want in expected["files"].items() if want["status"] in ("rejected", "unrecognised")]
    assert bool(failed) == bool(not_loaded), (failed, not_loaded)
    for name in not_loaded:
        assert any(name.rsplit("/", 1)[-1] in description for description in failed), (name, failed)


def assert_control_intact(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    control = connection.execute(f"select count(*) from raw.{table} where _source_file = ?", [CONTROL_NAME]).fetchall()
    assert control[0][0] == CONTROL_ROWS, "a hostile file never takes another file's rows with it"


def assert_loaded_values(connection: duckdb.DuckDBPyConnection, table: str, expected: dict) -> None:
    for column, value in expected["loaded_values"].items():
        values = connection.execute(
            f'select "{column}" from raw.{table} where _source_file != ?', [CONTROL_NAME]
        ).fetchall()
        stored = [row[0] if not hasattr(row[0], "is_nan") else float(row[0]) for row in values]
        assert value in stored, (column, stored)


def assert_nothing_from_outside(connection: duckdb.DuckDBPyConnection) -> None:
    """No text column of any table holds a line of the file outside the landing zone."""
    columns = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_catalog = current_database()"
    ).fetchall()
    for schema, table, column in columns:
        hits = connection.execute(
            f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)', [OUTSIDE_MARKER]
        ).fetchall()[0][0]
        assert hits == 0, f"{schema}.{table}.{column} holds content of a file outside the landing zone"


def assert_spend_total(connection: duckdb.DuckDBPyConnection, source: str, expected: dict) -> None:
    """Spend in raw, latest row per natural key (file name, then mtime, then line) = control + the case's."""
    if source not in SPEND:
        return
    assert expected.get("spend_total") is not None, "a case of a spend source states its spend_total"
    amount, key = SPEND[source]
    spend = connection.execute(
        f"""
        with ranked as (
            select {amount} as amount,
                row_number() over (
                    partition by {key} order by _source_file desc, _file_modified_at desc, _line_number desc
                ) as position
            from raw.{source}
        )
        select coalesce(sum(amount), 0) from ranked where position = 1
        """
    ).fetchall()[0][0]
    assert float(spend) == pytest.approx(CONTROL_SPEND[source] + expected["spend_total"], abs=1e-6)
