"""Alert conditions and what "changed" means, on hand-made mart rows."""

import datetime as dt

import pytest

from orchestration.lib.alerting import rules
from orchestration.lib.marts import BudgetLine, ChannelRoi, CheckResultRow, PacingLine, ReconciliationLine
from orchestration.lib.settings import AlertSettings

SETTINGS = AlertSettings(over_budget_pct=0.05, roi_floor=0.0, change_step_pct=0.05, change_step_roi=0.25)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (0.07, 0.05, 1),
        (0.099, 0.05, 1),
        (0.10, 0.05, 2),
        (0.15, 0.05, 3),  # 0.15 / 0.05 is 2.9999999999999996 in floating point: still band 3
        (0.0, 0.05, 0),
        (-0.12, 0.05, -3),  # floor(-2.4)
        (-0.85, 0.25, -4),  # floor(-3.4)
        (-1.0, 0.25, -4),
        (-1.01, 0.25, -5),
    ],
)
def test_band_is_the_floor_of_value_over_step(value: float, step: float, expected: int):
    assert rules.band(value, step) == expected


def line(period: str, variance_pct: float | None, budget: float = 100_000.0) -> BudgetLine:
    actual = budget * (1 + (variance_pct or 0.0))
    return BudgetLine(
        period,
        "BL-SEARCH",
        "paid_search",
        "FY2026",
        budget,
        actual,
        actual,
        actual,
        "booked",
        actual - budget,
        variance_pct,
        (variance_pct or 0) > 0,
        True,
    )


def test_over_budget_above_the_threshold_with_severity_and_band():
    alerts = rules.over_budget([line("2026-01", 0.05), line("2026-02", 0.07), line("2025-12", 0.12)], SETTINGS, "USD")
    assert [(alert.scope, alert.severity, alert.state) for alert in alerts] == [
        ("2026-02", "warning", ("band", 1)),  # +7 %: over 5 %, under twice that
        ("2025-12", "critical", ("band", 2)),  # +12 %: over 10 %
    ]  # +5.0 % exactly is not "more than" the threshold
    assert alerts[0].key == "over_budget|2026-02|BL-SEARCH"
    assert "+7.0%" in alerts[0].detail


def test_a_moving_figure_keeps_its_fingerprint_inside_a_band_and_changes_it_across_one():
    (seven,) = rules.over_budget([line("2026-02", 0.07)], SETTINGS, "USD")
    (nine,) = rules.over_budget([line("2026-02", 0.099)], SETTINGS, "USD")
    (ten,) = rules.over_budget([line("2026-02", 0.10)], SETTINGS, "USD")
    assert seven.fingerprint == nine.fingerprint
    assert seven.fingerprint != ten.fingerprint
    assert seven.detail != nine.detail  # the figures in the message move; the alert is not re-sent for that


def pacing(status: str, projected_pct: float, day: int = 14) -> PacingLine:
    return PacingLine(
        dt.date(2026, 2, day),
        "2026-02",
        "BL-SOCIAL",
        "paid_social",
        day,
        28,
        100_000.0,
        50_000.0,
        100_000.0 * (1 + projected_pct),
        projected_pct,
        status,
    )


def test_pacing_alerts_wait_for_the_minimum_day():
    lines = [pacing("over", 0.08), pacing("under", -0.2)]
    assert [a.condition for a in rules.projected_over_budget(lines, SETTINGS, "USD")] == ["projected_over_budget"]
    assert [a.condition for a in rules.pacing_under(lines, SETTINGS, "USD")] == ["pacing_under"]
    early = [pacing("over", 0.3, day=3), pacing("under", -0.5, day=3)]
    assert rules.projected_over_budget(early, SETTINGS, "USD") == []
    assert rules.pacing_under(early, SETTINGS, "USD") == []


def recon(status: str, platform: float | None, invoiced: float | None, closed: bool = True) -> ReconciliationLine:
    difference = (invoiced or 0.0) - (platform or 0.0)
    return ReconciliationLine(
        "meta_ads", "act_1", "2026-01", "EUR", platform, invoiced, difference, difference, status, closed
    )


def test_reconciliation_alerts_closed_unmatched_months_and_bands_mismatches():
    alerts = rules.reconciliation(
        [
            recon("matched", 100.0, 100.0),
            recon("missing_invoice", 500.0, None, closed=False),
            recon("mismatched", 1000.0, 1120.0),
        ],
        SETTINGS,
    )
    assert [(a.subject, a.state) for a in alerts] == [("meta_ads/act_1", ("mismatched", 2))]  # 120 / 1120 = 10.7 %
    (missing,) = rules.reconciliation([recon("missing_invoice", 500.0, None)], SETTINGS)
    assert missing.state == ("missing_invoice",)


def test_data_quality_alerts_follow_the_configured_severities():
    results = [
        CheckResultRow("unique_key", "marts/fct_x", passed=False, severity="ERROR", value=3, threshold=0),
        CheckResultRow("no_rejected_rows", "raw/google_ads", passed=False, severity="WARN"),
        CheckResultRow("rows_accounted_for", "raw/google_ads", passed=True, severity="ERROR"),
    ]
    errors_only = rules.data_quality(results, SETTINGS)
    assert [(a.key, a.severity) for a in errors_only] == [("data_quality|marts/fct_x|unique_key", "critical")]
    assert "measured 3, threshold 0" in errors_only[0].detail
    both = rules.data_quality(results, SETTINGS.model_copy(update={"data_quality_severities": ("ERROR", "WARN")}))
    assert [a.severity for a in both] == ["critical", "warning"]


def test_a_missed_target_alerts_whatever_its_severity_and_an_unmeasurable_one_does_not():
    def target(name: str, passed: bool, status: str, value: float | None) -> CheckResultRow:
        return CheckResultRow(
            name, "marts/fct_x", passed, "WARN", value=value, threshold=0.95, kind="target", status=status
        )

    results = [
        target("data_sync_target", False, "missed", 0.78),
        target("budget_tracking_target", False, "not_measurable", None),
        target("pacing_backtest_mape", True, "passed", 0.05),
    ]
    missed = rules.targets_missed(results)
    assert [(a.key, a.severity) for a in missed] == [("target_missed|marts/fct_x|data_sync_target", "warning")]
    assert "measured 0.78, threshold 0.95" in missed[0].detail and "snapshot was published" in missed[0].detail
    # Targets are not data-quality failures, even when WARN is a configured data-quality severity.
    both = SETTINGS.model_copy(update={"data_quality_severities": ("ERROR", "WARN")})
    assert rules.data_quality(results, both) == []
    evaluation = rules.evaluate(rules.AlertInputs(currency="USD", check_results=results), SETTINGS)
    assert [alert.key for alert in evaluation.alerts] == ["target_missed|marts/fct_x|data_sync_target"]
    assert "target_missed|marts/fct_x|budget_tracking_target" in evaluation.coverage.keys


def test_unbudgeted_spend_alerts_per_campaign_month_and_reason_in_the_recent_periods():
    from orchestration.lib.marts import UnbudgetedSpend

    rows = [
        UnbudgetedSpend("2026-02", "google_ads", "9", "Agency test", None, "no_budget_line", 20, 8464.4),
        UnbudgetedSpend("2026-01", "meta_ads", "7", "Spring video", "BL-SOCIAL", "outside_flight_dates", 3, 1230.8),
        UnbudgetedSpend("2025-06", "tv_agency", "T", "Old flight", "BL-OFFLINE", "outside_flight_dates", 2, 99.0),
    ]
    inputs = rules.AlertInputs(currency="USD", recent_periods=("2026-01", "2026-02"), unbudgeted=rows)
    evaluation = rules.evaluate(inputs, SETTINGS)
    assert [alert.key for alert in evaluation.alerts] == [
        "unbudgeted_spend|2026-02|google_ads/9/no_budget_line",
        "unbudgeted_spend|2026-01|meta_ads/7/outside_flight_dates",
    ]
    assert "the campaign has no budget line" in evaluation.alerts[0].detail
    assert ("unbudgeted_spend", "2026-01") in evaluation.coverage.scopes


def channel(roi: float | None, high: float | None) -> ChannelRoi:
    return ChannelRoi("markov", "display", "2026-01", 1000.0, 5.0, 0.0, 0.0, None, roi, None, high, None)


def test_roi_below_the_floor_is_critical_when_the_whole_interval_is():
    assert rules.roi_below_floor([channel(0.1, 0.5), channel(None, None)], SETTINGS, "USD") == []
    (uncertain,) = rules.roi_below_floor([channel(-0.1, 0.2)], SETTINGS, "USD")
    (certain,) = rules.roi_below_floor([channel(-0.1, -0.02)], SETTINGS, "USD")
    assert (uncertain.severity, certain.severity) == ("warning", "critical")
    assert uncertain.key == "roi_below_floor|-|display"
    assert uncertain.state == ("band", -1)


def test_evaluate_reports_what_it_looked_at():
    inputs = rules.AlertInputs(
        currency="USD",
        recent_periods=["2026-02", "2026-01"],
        budget_lines=[line("2025-11", 0.3), line("2026-01", 0.07)],  # 2025-11 is outside the window
        pacing=[pacing("under", -0.2)],
        reconciliation=None,  # the mart is missing: not evaluated
        check_results=[CheckResultRow("unique_key", "marts/fct_x", passed=True, severity="ERROR")],
        channel_roi=[channel(-0.5, -0.1)],
    )
    evaluation = rules.evaluate(inputs, SETTINGS)
    assert sorted(a.key for a in evaluation.alerts) == [
        "over_budget|2026-01|BL-SEARCH",
        "pacing_under|2026-02|BL-SOCIAL",
        "roi_below_floor|-|display",
    ]
    coverage = evaluation.coverage
    assert ("over_budget", "2026-02") in coverage.scopes and ("over_budget", "2025-11") not in coverage.scopes
    assert coverage.windows["over_budget"] == frozenset({"2026-02", "2026-01"})
    assert ("pacing_under", "2026-02") in coverage.scopes
    assert "reconciliation" not in coverage.windows
    assert coverage.keys == frozenset({"data_quality|marts/fct_x|unique_key"})


def test_held_restatements_alert_per_source_and_closed_month_and_resolve_when_released():
    from orchestration.lib.alerting.rules import HELD_RESTATEMENT, AlertInputs, evaluate
    from orchestration.lib.marts import HeldRestatements
    from orchestration.lib.settings import AlertSettings

    held = [HeldRestatements("meta_ads", "2025-03", rows=2, files=1), HeldRestatements("google_ads", "2025-02", 0, 0)]
    evaluation = evaluate(AlertInputs(currency="USD", held_restatements=held), AlertSettings())
    alerts = [alert for alert in evaluation.alerts if alert.condition == HELD_RESTATEMENT]
    assert [(alert.subject, alert.scope, alert.severity) for alert in alerts] == [("meta_ads", "2025-03", "warning")]
    assert "2 restated row(s)" in alerts[0].detail
    # google_ads 2025-02 was held once and released: its scope is looked at, so an open alert there resolves.
    assert (HELD_RESTATEMENT, "2025-02") in evaluation.coverage.scopes
