"""Budget-scenario recommendations: the move, its expected uplift and how sure it is; attribution-interval
advice only where no model is fitted."""

import datetime as dt

from orchestration.lib.marts import BudgetScenario, ChannelRoi, ScenarioChannel
from orchestration.lib.reporting import recommendations as rules

MINUS = "\u2212"


def scenario(name: str, uplift: float, probability: float, spend_now: float = 1e6, spend_new: float = 1e6):
    return BudgetScenario(
        scenario=name,
        objective="max_margin",
        window_start=dt.date(2025, 12, 1),
        window_end=dt.date(2026, 11, 30),
        interval_level=0.9,
        current_spend_rc=spend_now,
        recommended_spend_rc=spend_new,
        net_uplift_rc=uplift,
        net_uplift_ci_low_rc=uplift / 2,
        net_uplift_ci_high_rc=uplift * 1.5,
        margin_uplift_rc=uplift,
        probability_of_improvement=probability,
        is_extrapolated=False,
    )


def move(name: str, channel: str, change: float, extrapolated: bool = False) -> ScenarioChannel:
    return ScenarioChannel(
        scenario=name,
        channel=channel,
        current_spend_rc=100_000.0,
        recommended_spend_rc=100_000.0 + change,
        change_rc=change,
        is_extrapolated=extrapolated,
    )


def losing_channel() -> ChannelRoi:
    return ChannelRoi("markov", "display", "2026-01", 1000.0, 1.0, 0.0, 100.0, None, -0.9, -0.95, -0.8, None)


def test_a_reallocation_reads_as_a_move_from_the_largest_cut_to_the_largest_raise():
    moves = [
        move("reallocate_same_budget", "display", -60_000.0),
        move("reallocate_same_budget", "paid_search", 45_000.0),
        move("reallocate_same_budget", "video", 15_000.0, extrapolated=True),
    ]
    found = rules.budget_scenario_moves([scenario("reallocate_same_budget", 120_000.0, 0.97)], moves, "USD")
    assert len(found) == 1
    item = found[0]
    assert item.priority == rules.REVIEW and item.impact_rc == 120_000.0
    assert item.text.startswith(
        "Move USD 45k from display to paid_search (and 1 smaller change) (reallocate same budget"
    )
    assert "expected +USD 120k incremental margin net of spend, 90% interval USD 60k to USD 180k" in item.text
    assert "probability of improvement 97%" in item.text
    assert "beyond what the model has seen for video" in item.text


def test_a_cut_in_total_spend_is_said_and_a_doubtful_or_losing_scenario_is_not_advised():
    moves = [move("same_revenue_least_spend", "display", -150_000.0)]
    found = rules.budget_scenario_moves(
        [
            scenario("same_revenue_least_spend", 150_000.0, 0.6, spend_new=850_000.0),
            scenario("target_mroi", -5_000.0, 0.2),
        ],
        moves,
        "USD",
    )
    assert [item.subject for item in found] == ["same_revenue_least_spend"]
    assert found[0].priority == rules.OPPORTUNITY
    assert found[0].text.startswith(f"Cut display by USD 150k, total spend {MINUS}15.0%")


def test_attribution_interval_advice_only_without_a_model():
    common = {
        "roi": [losing_channel()],
        "model": "markov",
        "budget_lines": [],
        "pacing": [],
        "reconciliation": [],
        "sync_rate": None,
        "thresholds": rules.Thresholds(),
        "currency": "USD",
        "limit": 8,
    }
    without_model = rules.recommend(**common)
    assert [item.rule for item in without_model] == ["roi_interval_below_zero"]
    with_model = rules.recommend(
        **common,
        scenarios=[scenario("reallocate_same_budget", 50_000.0, 0.95)],
        scenario_channels=[
            move("reallocate_same_budget", "display", -10_000.0),
            move("reallocate_same_budget", "paid_search", 10_000.0),
        ],
    )
    assert [item.rule for item in with_model] == ["budget_scenario"]
