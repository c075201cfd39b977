"""Every hostile landing file in ``tests/corpus/hostile`` gets its documented outcome.

Each case is loaded into a fresh warehouse next to a clean control file of the
same source. The test checks, per case: each file's status and row counts, the
exact rejected rows (file, line, reason), that rows read = loaded + rejected,
that the messages name file, line and reason, and that the control file's rows
all arrived (no input can make another file's rows disappear).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.ingest import ingest_source
from orchestration.lib.settings import IngestionSettings
from orchestration.lib.sources import SOURCES_BY_NAME
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
    "purchases,purchase_value\n" + "".join(f"2024-01-0{day},999,USD,999,Control,2.5,,,,\n" for day in range(1, 6)),
    "campaigns": "platform,campaign_id,campaign_name,channel,budget_line_id,utm_campaign,start_date,end_date,"
    "owner_team\n" + "".join(f"control_system,CONTROL-{day},Control,offline,,,,,\n" for day in range(1, 6)),
    "opportunities": "opportunity_id,customer_id,created_at,stage,amount,currency,expected_close_date,is_closed,"
    "is_won,updated_at\n"
    + "".join(
        f"control,C0,2024-01-01T10:00:00Z,prospecting,1,USD,,0,0,2024-01-0{day}T10:00:00Z\n" for day in range(1, 6)
    ),
}
CONTROL_ROWS = 5


def test_the_corpus_has_at_least_thirty_cases():
    assert len(CASES) >= 30
    files = [path for path in CORPUS.rglob("*") if path.is_file() and path.name not in ("expected.json", "README.md")]
    assert len(files) >= 30


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_gets_its_documented_outcome(case: str, tmp_path: Path):
    expected = json.loads((CORPUS / case / "expected.json").read_text())
    spec = SOURCES_BY_NAME[expected["source"]]
    landing = tmp_path / "landing"
    shutil.copytree(CORPUS / case, landing, ignore=shutil.ignore_patterns("expected.json"))
    (landing / spec.folder / CONTROL_NAME).write_text(CONTROL[spec.name])

    with connect(tmp_path / "roi.duckdb") as connection:
        ensure_audit_schema(connection)
        report = ingest_source(connection, spec, landing, IngestionSettings(), load_id="corpus")
        assert_outcomes(report, expected)
        assert_rejected_rows(connection, expected)
        assert_books_balance(connection, spec.table)
        assert_control_intact(connection, spec.table)
        assert_loaded_values(connection, spec.table, expected)


def assert_outcomes(report, expected: dict) -> None:
    outcomes = {outcome.file_name: outcome for outcome in report.outcomes if outcome.file_name != CONTROL_NAME}
    assert set(outcomes) == set(expected["files"]), "exactly the expected files were seen"
    for name, want in expected["files"].items():
        outcome = outcomes[name]
        got = (outcome.status, outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected)
        assert got == (want["status"], want["rows_read"], want["rows_loaded"], want["rows_rejected"]), name
        if "message_contains" in want:
            assert want["message_contains"] in (outcome.message or ""), outcome.message
        if outcome.rows_rejected:
            # The log lines a user reads name the file, the line and the reason.
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


def assert_books_balance(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    unbalanced = connection.execute(
        "select file_name from audit.load_files where rows_read != rows_loaded + rows_rejected"
    ).fetchall()
    assert unbalanced == []
    loaded = connection.execute("select coalesce(sum(rows_loaded), 0) from audit.load_files").fetchall()[0][0]
    in_raw = connection.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
    assert in_raw == loaded
    rejected = connection.execute("select coalesce(sum(rows_rejected), 0) from audit.load_files").fetchall()[0][0]
    assert connection.execute("select count(*) from audit.rejected_rows").fetchall()[0][0] == rejected


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
