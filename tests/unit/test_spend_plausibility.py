"""Spend plausibility: the flagged days read per campaign-month, the WARN check's verdict and the alert.

The scoring itself is SQL (``audit.spend_anomalies``), tested with hand-worked numbers by the dbt unit test
``test_spend_anomalies_scores_each_day_against_its_campaigns_trailing_days``; here the table is written by
hand, as that model would write it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest
from pydantic import ValidationError

from orchestration.defs.quality.plausibility import plausibility_outcome
from orchestration.lib import marts
from orchestration.lib.alerting import rules
from orchestration.lib.settings import AlertSettings, PlausibilitySettings, RoiConfig, dbt_vars

# The case: 1,234,570 on a line that spends ~100 a day (median 100, MAD 1, scale floor 5).
SPIKE = (
    dt.date(2026, 1, 14),
    "google_ads",
    "5824719301",
    "USD",
    1234570.0,
    28,
    100.0,
    1.0,
    246894.0,
    50.0,
    "above",
    "g.csv",
)
ROWS = [
    SPIKE,
    # another day of the same campaign-month, lower score
    (dt.date(2026, 1, 15), "google_ads", "5824719301", "USD", 9000.0, 28, 100.0, 1.0, 1780.0, 50.0, "above", "g.csv"),
    (dt.date(2025, 12, 2), "meta_ads", "77", "EUR", 1.0, 20, 400.0, 2.0, 79.8, 50.0, "below", "m.csv"),
]


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("create schema audit")
    db.execute(
        "create table audit.spend_anomalies (spend_date date, platform varchar, campaign_id varchar, "
        "currency varchar, spend double, history_days bigint, median_spend double, mad_spend double, "
        "robust_score double, threshold double, direction varchar, source_file varchar)"
    )
    db.executemany("insert into audit.spend_anomalies values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    return db


def test_flagged_days_are_read_per_campaign_month_led_by_the_largest_score(connection):
    flagged = marts.spend_anomalies(connection)
    assert [(item.fiscal_period, item.campaign_id, item.days, item.spend_date, item.spend) for item in flagged] == [
        ("2026-01", "5824719301", 2, dt.date(2026, 1, 14), 1234570.0),
        ("2025-12", "77", 1, dt.date(2025, 12, 2), 1.0),
    ]
    assert [item.campaign_id for item in marts.spend_anomalies(connection, ["2026-01"])] == ["5824719301"]
    assert marts.spend_anomalies(connection, []) == []


def test_the_check_warns_with_the_largest_days_and_never_blocks(connection):
    flagged = marts.spend_anomalies(connection)
    outcome = plausibility_outcome(flagged, days=3, max_score=50.0)
    assert not outcome.passed and outcome.severity == dg.AssetCheckSeverity.WARN
    assert (outcome.kind, outcome.status, outcome.value, outcome.threshold) == ("plausibility", "flagged", 3, 0)
    assert outcome.description.startswith(
        "3 spend day(s) in 2 campaign-month(s) far outside the campaign's own history (robust score above 50), "
        "loaded and counted: google_ads campaign 5824719301 on 2026-01-14: USD 1.23M against a usual USD 100 "
        "(score 246,894); meta_ads campaign 77 on 2025-12-02: EUR 1 against a usual EUR 400 (score 80)."
    )
    assert outcome.details["largest"][0]["source_file"] == "g.csv"
    clean = plausibility_outcome([], days=0, max_score=50.0)
    assert clean.passed and clean.status == "passed" and clean.severity == dg.AssetCheckSeverity.WARN


def test_the_alert_names_each_campaign_month_in_the_recent_periods_and_changes_with_its_days(connection):
    flagged = marts.spend_anomalies(connection)
    inputs = rules.AlertInputs(currency="USD", recent_periods=("2026-01",), spend_anomalies=flagged)
    evaluation = rules.evaluate(inputs, AlertSettings())
    (alert,) = evaluation.alerts  # December is outside the recent periods
    assert alert.key == "spend_anomaly|2026-01|google_ads/5824719301"
    assert alert.severity == "warning"
    assert alert.title == "Implausible spend on google_ads campaign 5824719301 in 2026-01"
    assert "2026-01-14: USD 1.23M against a usual USD 100 (robust score 246,894, threshold 50, above)" in alert.detail
    assert "from g.csv" in alert.detail
    assert ("spend_anomaly", "2026-01") in evaluation.coverage.scopes
    one_more_day = rules.spend_anomaly([flagged[0].__class__(**{**flagged[0].__dict__, "days": 3})])[0]
    assert one_more_day.fingerprint != alert.fingerprint


def test_a_plausibility_warning_is_not_also_a_data_quality_alert():
    result = marts.CheckResultRow(
        "spend_plausibility", "audit/spend_anomalies", False, "WARN", 3.0, 0.0, "3 days", "plausibility", "flagged"
    )
    assert rules.data_quality([result], AlertSettings(data_quality_severities=("ERROR", "WARN"))) == []
    assert rules.targets_missed([result]) == []


def test_the_settings_reach_dbt_and_are_validated():
    custom = RoiConfig(plausibility=PlausibilitySettings(history_days=56, min_history_days=21, max_robust_score=25))
    variables = dbt_vars(custom)
    assert (
        variables["spend_anomaly_history_days"],
        variables["spend_anomaly_min_history_days"],
        variables["spend_anomaly_max_score"],
        variables["spend_anomaly_min_scale_pct"],
    ) == (56, 21, 25.0, 0.05)
    with pytest.raises(ValidationError, match="min_history_days cannot exceed"):
        PlausibilitySettings(history_days=10, min_history_days=14)
