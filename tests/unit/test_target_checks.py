"""Business targets with nothing to measure say so, and never pass; measured ones are warnings, met or missed."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.finance.checks import sync_outcome, tracking_outcome, unmeasured_reason
from orchestration.lib import checks
from orchestration.lib.settings import BudgetSettings


def test_no_closed_period_makes_the_sync_target_not_measurable():
    outcome = sync_outcome({}, 0.95, "none", {})
    assert not outcome.passed and outcome.value is None and outcome.threshold == 0.95
    assert outcome.description == "not measurable: no closed period"
    assert outcome.status == "not_measurable" and outcome.severity == dg.AssetCheckSeverity.WARN
    assert outcome.metadata()["check_status"] == "not_measurable"


def test_closed_periods_without_spend_are_not_measurable_either():
    outcome = sync_outcome({}, 0.95, "2025-01..2025-02 (2 months)", {})
    reason = "no platform spend in the closed periods (2025-01..2025-02 (2 months))"
    assert outcome.description == f"not measurable: {reason}"
    assert not outcome.passed


def test_the_sync_target_is_measured_as_the_matched_share_and_missed_below_target():
    # 780 of 1,000 matched: 78 %, under the 95 % target.
    missed = sync_outcome({"matched": 780.0, "missing_invoice": 220.0}, 0.95, "2025-01..2025-06 (6 months)", {})
    assert missed.value == 0.78 and not missed.passed and missed.status == "missed"
    assert missed.kind == "target" and missed.severity == dg.AssetCheckSeverity.WARN
    met = sync_outcome({"matched": 960.0, "mismatched": 40.0}, 0.95, "2025-01..2025-06 (6 months)", {})
    assert met.value == 0.96 and met.passed and met.status == "passed"


def test_budget_tracking_with_no_closed_line_period_is_not_measurable():
    budget = BudgetSettings()
    outcome = tracking_outcome(0, 0, budget, "none", {})
    assert not outcome.passed and outcome.value is None
    assert outcome.description == "not measurable: no closed period"
    measured = tracking_outcome(9, 20, budget, "2025-01..2025-06 (6 months)", {})
    assert measured.value == 0.45 and not measured.passed and measured.status == "missed"


def test_integrity_checks_fail_targets_miss():
    assert checks.CheckOutcome("rows_accounted_for", passed=False).status == "failed"
    assert unmeasured_reason("none", "anything") == "no closed period"
    recorded = checks.not_measurable("x", "no closed period").metadata()
    assert recorded["check_kind"] == "target" and "value" not in recorded


def test_unbudgeted_spend_reconciles_to_the_cent_or_fails():
    import pandas as pd

    from orchestration.defs.finance.checks import unbudgeted_reconciliation_outcome

    months = pd.DataFrame(
        {
            "fiscal_period": ["2025-01", "2025-02"],
            "total_spend_rc": [1000.00, 500.00],
            "rollup_platform_actual_rc": [1000.00, 500.004],
            "unbudgeted_rc": [30.0, 0.0],
            "rollup_unbudgeted_rc": [30.0, 0.0],
        }
    )
    ok = unbudgeted_reconciliation_outcome(months)
    assert ok.passed and ok.kind == "integrity" and ok.severity == dg.AssetCheckSeverity.ERROR
    off = unbudgeted_reconciliation_outcome(months.assign(rollup_unbudgeted_rc=[30.0, 0.02]))
    assert not off.passed and off.status == "failed" and off.value == 0.02
    assert [row["fiscal_period"] for row in off.details["months_off"]] == ["2025-02"]


def test_the_unbudgeted_share_target_is_measured_or_not_measurable():
    from orchestration.defs.finance.checks import unbudgeted_share_outcome

    # 55 + 25 = 80 of 4,000 spent: 2 %, over a 1 % target.
    missed = unbudgeted_share_outcome(4000.0, {"no_budget_line": 55.0, "outside_flight_dates": 25.0}, 0.01, {})
    assert missed.value == 0.02 and not missed.passed and missed.status == "missed"
    assert missed.details["unbudgeted_rc_by_reason"] == {"no_budget_line": 55.0, "outside_flight_dates": 25.0}
    assert unbudgeted_share_outcome(4000.0, {}, 0.01, {}).passed
    nothing = unbudgeted_share_outcome(0.0, {}, 0.01, {})
    assert nothing.status == "not_measurable" and nothing.description == "not measurable: no spend"
