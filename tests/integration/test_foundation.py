"""The foundation end to end: landing zone -> raw -> dbt -> spend mart, against the planted truth.

The landing zone is generated fresh (another seed than the shipped sample);
every expected figure comes from the generator's own exact computation
(``_truth/``), not from the warehouse's code.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.conftest import Pipeline

CENT = Decimal("0.005")


def read_truth(pipeline: Pipeline, name: str) -> list[dict[str, str]]:
    with (pipeline.truth / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_run_succeeds_and_ends_with_a_summary(built: Pipeline):
    output = built.first_run.stdout
    assert "Build summary" in output
    assert "Result  SUCCESS" in output
    assert "marts.fct_marketing_spend_daily" in output
    assert "rows read =" in output


def test_spend_per_channel_and_month_matches_the_planted_truth_to_the_cent(built: Pipeline, db):
    truth = {
        (row["channel"], row["month"]): Decimal(row["spend_rc"])
        for row in read_truth(built, "spend_by_channel_month.csv")
    }
    rows = db.execute(
        "select channel, strftime(spend_date, '%Y-%m'), sum(spend_rc) "
        "from marts.fct_marketing_spend_daily group by 1, 2"
    ).fetchall()
    built_spend = {(channel, month): Decimal(str(spend)) for channel, month, spend in rows}
    assert built_spend.keys() == truth.keys()
    off = {key: (built_spend[key], truth[key]) for key in truth if abs(built_spend[key] - truth[key]) > CENT}
    assert not off, f"channel-months off by more than half a cent: {off}"
    assert len({channel for channel, _ in truth}) >= 5


def test_spend_per_account_and_month_in_account_currency(built: Pipeline, db):
    truth = {
        (row["platform"], row["account_id"], row["month"]): (row["currency"], Decimal(row["spend"]))
        for row in read_truth(built, "spend_by_platform_account_month.csv")
    }
    rows = db.execute(
        "select platform, account_id, strftime(spend_date, '%Y-%m'), min(currency), max(currency), sum(spend) "
        "from marts.fct_marketing_spend_daily group by 1, 2, 3"
    ).fetchall()
    assert len(rows) == len(truth)
    for platform, account_id, month, currency, max_currency, spend in rows:
        expected_currency, expected_spend = truth[(platform, account_id, month)]
        assert currency == max_currency == expected_currency
        assert abs(Decimal(str(spend)) - expected_spend) <= CENT, (platform, account_id, month)
    assert len({currency for currency, _ in truth.values()}) >= 3


def test_restated_rows_replace_the_stale_ones(built: Pipeline, db):
    restated = read_truth(built, "restated_rows.csv")
    assert restated, "the generator plants restatements"
    for row in restated:
        key = json.loads(row["natural_key"])
        if row["source"] == "google_ads":
            spend_date, account, campaign = key["segments.date"], key["customer.id"], key["campaign.id"]
            expected = Decimal(row["final_value"]) / 1_000_000
        else:
            spend_date, account, campaign = key["date_start"], key["account_id"], key["campaign_id"]
            expected = Decimal(row["final_value"])
        (spend,) = db.execute(
            "select spend from marts.fct_marketing_spend_daily "
            "where platform = ? and spend_date = ? and account_id = ? and campaign_id = ?",
            [row["source"], spend_date, account, campaign],
        ).fetchall()[0]
        assert Decimal(str(spend)) == expected, row
        versions = db.execute(
            f"select count(*) from raw.{row['source']} where _source_file in (?, ?)",
            [row["stale_file"], row["final_file"]],
        ).fetchall()[0][0]
        assert versions > 1, "both versions stay in raw for lineage"


def test_every_malformed_row_is_rejected_with_file_line_and_reason(built: Pipeline, db):
    truth = sorted(
        (row["source"], row["file"], int(row["line"]), row["reason_code"])
        for row in read_truth(built, "rejected_rows.csv")
    )
    rejected = sorted(
        db.execute("select source, file_name, line_number, reason_code from audit.rejected_rows").fetchall()
    )
    assert rejected == truth
    for source, file_name, line, raw_content in db.execute(
        "select source, file_name, line_number, raw_content from audit.rejected_rows"
    ).fetchall():
        bad_value = next(row["bad_value"] for row in read_truth(built, "rejected_rows.csv") if row["file"] == file_name)
        assert bad_value in raw_content, (source, file_name, line)


def test_rows_read_equal_rows_loaded_plus_rejected_for_every_file(built: Pipeline, db):
    unbalanced = db.execute(
        "select file_name from audit.load_files where rows_read != rows_loaded + rows_rejected"
    ).fetchall()
    assert unbalanced == []
    per_source = dict(db.execute("select source, sum(rows_loaded) from audit.load_files group by 1").fetchall())
    for source, loaded in per_source.items():
        in_raw = db.execute(f"select count(*) from raw.{source}").fetchall()[0][0]
        assert in_raw == loaded, source
    failed = db.execute(
        "select asset_key, check_name from audit.dq_results where check_name = 'rows_accounted_for' and not passed"
    ).fetchall()
    assert failed == []


def test_the_great_expectations_suite_ran_and_is_recorded(db):
    rows = db.execute(
        "select passed, measured_value, threshold from audit.dq_results "
        "where check_name = 'gx_fct_marketing_spend_daily'"
    ).fetchall()
    assert rows and all(passed for passed, _, _ in rows)
    assert (Path(__file__).parents[2] / "expectations/gx/expectations/fct_marketing_spend_daily.json").exists()


def test_no_spend_row_is_lost_to_fx(db):
    assert db.execute("select count(*) from audit.fx_conversion_errors").fetchall()[0][0] == 0
    unioned = db.execute("select count(*) from intermediate.int_spend_unioned").fetchall()[0][0]
    mart = db.execute("select count(*) from marts.fct_marketing_spend_daily").fetchall()[0][0]
    assert unioned == mart


def _state(pipeline: Pipeline) -> dict[str, tuple]:
    """Row counts and money totals of every raw, mart and load-audit table."""
    with pipeline.connect() as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts', 'intermediate') and table_type = 'BASE TABLE'"
        ).fetchall()
        state = {
            f"{schema}.{table}": tuple(connection.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0])
            for schema, table in tables
        }
        state["spend"] = tuple(
            connection.execute(
                "select sum(spend_rc), sum(spend), count(distinct campaign_id) from marts.fct_marketing_spend_daily"
            ).fetchall()[0]
        )
        state["load_files"] = tuple(connection.execute("select count(*) from audit.load_files").fetchall()[0])
        state["rejected_rows"] = tuple(connection.execute("select count(*) from audit.rejected_rows").fetchall()[0])
    return state


@pytest.mark.integration
def test_a_second_run_over_the_same_files_changes_nothing(built: Pipeline):
    before = _state(built)
    # Nothing new: the run stops before loading Dagster and says so. (A full rebuild over the same files,
    # after a kill, is test_reliability's; it reproduces the marts exactly and loads no file again.)
    second = built.run("run", "--log-level", "WARNING")
    assert second.returncode == 0, second.stdout[-4000:]
    assert "Nothing to do" in second.stdout and "Build summary" not in second.stdout
    assert "0 new file(s)" in second.stdout
    assert _state(built) == before
