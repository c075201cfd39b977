"""Recommendation rules on hand-made mart rows: each rule fires exactly where it should, most pressing first."""

import datetime as dt

from orchestration.lib.marts import BudgetLine, ChannelRoi, PacingLine, ReconciliationLine, SyncRate
from orchestration.lib.reporting import recommendations as rules

AS_OF = dt.date(2026, 2, 14)


def roi(channel: str, model: str, roi_value: float, low: float, high: float, spend: float = 1000.0) -> ChannelRoi:
    return ChannelRoi(
        attribution_model=model,
        channel=channel,
        period="2026-01",
        spend_rc=spend,
        conversions=10.0,
        attributed_revenue_rc=0.0,
        attributed_margin_rc=spend * (1 + roi_value),
        roas=None,
        roi=roi_value,
        roi_ci_low=low,
        roi_ci_high=high,
        cac=None,
    )


def pacing(line: str, budget: float, projected: float, status: str) -> PacingLine:
    return PacingLine(
        as_of_date=AS_OF,
        fiscal_period="2026-02",
        budget_line_id=line,
        channel="paid_search",
        day_of_period=14,
        days_in_period=28,
        budget_rc=budget,
        spend_to_date_rc=projected / 2,
        projected_spend_rc=projected,
        projected_variance_pct=(projected - budget) / budget,
        pacing_status=status,
    )


def budget_line(line: str, budget: float, actual: float) -> BudgetLine:
    return BudgetLine(
        fiscal_period="2026-01",
        budget_line_id=line,
        channel="display",
        budget_version="FY2026_original",
        budget_rc=budget,
        platform_actual_rc=actual,
        booked_actual_rc=actual,
        actual_rc=actual,
        actual_source="booked",
        variance_rc=actual - budget,
        variance_pct=(actual - budget) / budget,
        is_over_budget=actual > budget,
        is_closed=True,
    )


def reconciliation(status: str, difference_rc: float, closed: bool = True) -> ReconciliationLine:
    return ReconciliationLine(
        platform="meta_ads",
        platform_account_id="act_1",
        billing_period="2026-01",
        currency="EUR",
        platform_spend=100.0,
        invoiced_amount=100.0 + difference_rc,
        difference=difference_rc,
        difference_rc=difference_rc,
        status=status,
        is_closed=closed,
    )


def test_a_channel_whose_whole_interval_is_below_zero_is_flagged_and_model_agreement_is_noted():
    rows = [
        roi("display", "markov", -0.4, -0.6, -0.1),  # interval entirely below zero
        roi("display", "linear", -0.3, -0.5, 0.1),  # another model: negative point estimate too
        roi("search", "markov", -0.2, -0.5, 0.05),  # straddles zero: not flagged
        roi("video", "linear", -0.9, -0.95, -0.8),  # below zero, but not under the chosen model
    ]
    found = rules.roi_interval_below_zero(rows, "markov", "USD")
    assert [item.subject for item in found] == ["display"]
    assert found[0].priority == rules.ACT_NOW
    assert "Every attribution model agrees" in found[0].text
    assert "−60% to −10%" in found[0].text


def test_models_that_disagree_are_not_called_unanimous():
    rows = [roi("display", "markov", -0.4, -0.6, -0.1), roi("display", "linear", 0.2, -0.1, 0.5)]
    (found,) = rules.roi_interval_below_zero(rows, "markov", "USD")
    assert "agrees" not in found.text


def test_an_interval_entirely_above_zero_is_an_opportunity():
    found = rules.roi_interval_above_zero(
        [roi("email", "markov", 0.8, 0.2, 1.4), roi("x", "markov", 0.1, -0.1, 0.3)], "markov", "USD"
    )
    assert [(item.subject, item.priority) for item in found] == [("email", rules.OPPORTUNITY)]


def test_projected_over_budget_fires_only_above_the_threshold():
    lines = [
        pacing("BL-A", 100_000, 105_000, "over"),  # +5.0 %: at the threshold, not above
        pacing("BL-B", 100_000, 112_000, "over"),  # +12 %
        pacing("BL-C", 100_000, 80_000, "under"),
    ]
    found = rules.projected_over_budget(lines, 0.05, "USD")
    assert [item.subject for item in found] == ["BL-B"]
    assert found[0].impact_rc == 12_000
    assert "+12.0%" in found[0].text


def test_pacing_under_follows_the_marts_status():
    lines = [pacing("BL-C", 100_000, 80_000, "under"), pacing("BL-D", 100_000, 95_000, "on_track")]
    found = rules.pacing_under(lines, "USD")
    assert [(item.subject, item.impact_rc) for item in found] == [("BL-C", 20_000)]


def test_over_budget_lines_of_the_period():
    found = rules.over_budget([budget_line("BL-X", 10_000, 11_000), budget_line("BL-Y", 10_000, 10_400)], 0.05, "USD")
    assert [item.subject for item in found] == ["BL-X 2026-01"]
    assert "10.0% over" in found[0].text


def test_reconciliation_exceptions_are_urgent_when_the_sync_rate_misses_its_target():
    lines = [
        reconciliation("matched", 0.0),
        reconciliation("mismatched", -250.0),
        reconciliation("missing_invoice", 0.0, closed=False),
    ]
    on_target = rules.reconciliation_follow_up(lines, SyncRate("2026-01", 96.0, 100.0), 0.95, "USD")
    assert [(item.rule, item.priority) for item in on_target] == [("reconciliation_exceptions", rules.REVIEW)]
    assert "1 reconciliation exception(s)" in on_target[0].text  # the open month's missing invoice is not one yet
    below = rules.reconciliation_follow_up(lines, SyncRate("2026-01", 90.0, 100.0), 0.95, "USD")
    assert [(item.rule, item.priority) for item in below] == [
        ("reconciliation_exceptions", rules.ACT_NOW),
        ("sync_rate_below_target", rules.ACT_NOW),
    ]
    assert "Only 90.0% of platform spend" in below[1].text


def test_recommend_orders_by_priority_then_amount_and_keeps_the_limit():
    found = rules.recommend(
        roi=[
            roi("display", "markov", -0.4, -0.6, -0.1, spend=5_000),
            roi("search", "markov", -0.5, -0.7, -0.2, spend=50_000),
            roi("email", "markov", 0.8, 0.2, 1.4, spend=1_000),
        ],
        model="markov",
        budget_lines=[budget_line("BL-X", 10_000, 11_000)],
        pacing=[pacing("BL-B", 100_000, 112_000, "over"), pacing("BL-C", 100_000, 80_000, "under")],
        reconciliation=[],
        sync_rate=None,
        thresholds=rules.Thresholds(over_budget_pct=0.05, sync_target=0.95),
        currency="USD",
        limit=5,
    )
    assert [item.rule for item in found] == [
        "roi_interval_below_zero",  # search, 50k at stake
        "projected_over_budget",  # 12k
        "roi_interval_below_zero",  # display, 5k
        "pacing_under",  # review: 20k
        "over_budget",  # review: 1k
    ]
    assert found[0].subject == "search"


def test_nothing_to_recommend_on_a_healthy_month():
    found = rules.recommend(
        roi=[roi("search", "markov", 0.1, -0.2, 0.4)],
        model="markov",
        budget_lines=[budget_line("BL-X", 10_000, 10_100)],
        pacing=[pacing("BL-B", 100_000, 101_000, "on_track")],
        reconciliation=[reconciliation("matched", 0.0)],
        sync_rate=SyncRate("2026-01", 100.0, 100.0),
        thresholds=rules.Thresholds(),
        currency="USD",
        limit=8,
    )
    assert found == []
