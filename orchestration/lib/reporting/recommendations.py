"""Recommendations: short, data-derived advice for the executive report.

Each rule is a small pure function over mart rows that returns the
recommendations it finds; ``recommend`` runs them all and keeps the most
pressing. Priority 1 asks for action now, 2 for a review, 3 points at an
opportunity; within a priority the larger amount at stake comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orchestration.lib.formatting import money_short, pct
from orchestration.lib.marts import (
    BudgetLine,
    BudgetScenario,
    ChannelRoi,
    PacingLine,
    ReconciliationLine,
    ScenarioChannel,
    SyncRate,
)

ACT_NOW, REVIEW, OPPORTUNITY = 1, 2, 3


@dataclass(frozen=True)
class Recommendation:
    rule: str
    priority: int
    subject: str
    text: str
    impact_rc: float = 0.0  # the amount at stake, to order recommendations of one priority


@dataclass(frozen=True)
class Thresholds:
    over_budget_pct: float = 0.05
    sync_target: float = 0.95
    # A budget scenario this sure of beating today's allocation is a review, otherwise an opportunity.
    scenario_probability: float = 0.9


def roi_interval_below_zero(rows: Sequence[ChannelRoi], model: str, currency: str) -> list[Recommendation]:
    """A channel whose ROI interval (chosen model) lies entirely below zero loses money with confidence."""
    by_channel = _by_channel(rows)
    found = []
    for row in rows:
        if row.attribution_model != model or row.roi_ci_high is None or row.roi_ci_high >= 0:
            continue
        others = [other for other in by_channel[row.channel] if other.roi is not None]
        agreement = " Every attribution model agrees." if others and all(o.roi < 0 for o in others) else ""
        found.append(
            Recommendation(
                rule="roi_interval_below_zero",
                priority=ACT_NOW,
                subject=row.channel,
                text=(
                    f"Cut or rework {row.channel}: ROI {pct(row.roi, 0)} on {money_short(row.spend_rc, currency)} "
                    f"of spend, the whole interval below zero ({pct(row.roi_ci_low, 0)} to "
                    f"{pct(row.roi_ci_high, 0)}, {model}).{agreement}"
                ),
                impact_rc=row.spend_rc,
            )
        )
    return found


def roi_interval_above_zero(rows: Sequence[ChannelRoi], model: str, currency: str) -> list[Recommendation]:
    """A channel whose ROI interval (chosen model) lies entirely above zero earns with confidence: fund it."""
    return [
        Recommendation(
            rule="roi_interval_above_zero",
            priority=OPPORTUNITY,
            subject=row.channel,
            text=(
                f"Consider shifting budget to {row.channel}: ROI {pct(row.roi, 0)} with the whole interval above "
                f"zero ({pct(row.roi_ci_low, 0)} to {pct(row.roi_ci_high, 0)}, {model}) on "
                f"{money_short(row.spend_rc, currency)} of spend."
            ),
            impact_rc=row.spend_rc,
        )
        for row in rows
        if row.attribution_model == model and row.roi_ci_low is not None and row.roi_ci_low > 0
    ]


def projected_over_budget(lines: Sequence[PacingLine], over_budget_pct: float, currency: str) -> list[Recommendation]:
    """A budget line projected to end the open period over budget by more than the threshold."""
    return [
        Recommendation(
            rule="projected_over_budget",
            priority=ACT_NOW,
            subject=line.budget_line_id,
            text=(
                f"Slow down {line.budget_line_id} ({line.channel}): projected to spend "
                f"{money_short(line.projected_spend_rc, currency)} against a budget of "
                f"{money_short(line.budget_rc, currency)} in {line.fiscal_period} "
                f"({pct(line.projected_variance_pct, signed=True)})."
            ),
            impact_rc=line.projected_spend_rc - (line.budget_rc or 0.0),
        )
        for line in lines
        if line.projected_variance_pct is not None and line.projected_variance_pct > over_budget_pct
    ]


def pacing_under(lines: Sequence[PacingLine], currency: str) -> list[Recommendation]:
    """A budget line pacing under its budget (the mart's ``pacing_status``): reallocate or accelerate."""
    return [
        Recommendation(
            rule="pacing_under",
            priority=REVIEW,
            subject=line.budget_line_id,
            text=(
                f"{line.budget_line_id} ({line.channel}) is pacing under budget: projected "
                f"{money_short(line.projected_spend_rc, currency)} of {money_short(line.budget_rc, currency)} in "
                f"{line.fiscal_period} ({pct(line.projected_variance_pct, signed=True)}). Accelerate or release "
                "the remainder to a better channel."
            ),
            impact_rc=(line.budget_rc or 0.0) - line.projected_spend_rc,
        )
        for line in lines
        if line.pacing_status == "under"
    ]


def over_budget(lines: Sequence[BudgetLine], over_budget_pct: float, currency: str) -> list[Recommendation]:
    """A budget line of the period over budget by more than the threshold."""
    return [
        Recommendation(
            rule="over_budget",
            priority=REVIEW,
            subject=f"{line.budget_line_id} {line.fiscal_period}",
            text=(
                f"Review {line.budget_line_id} ({line.channel}): {line.actual_source} actual "
                f"{money_short(line.actual_rc, currency)} is {pct(line.variance_pct)} over its budget of "
                f"{money_short(line.budget_rc, currency)} in {line.fiscal_period}."
            ),
            impact_rc=line.variance_rc or 0.0,
        )
        for line in lines
        if line.variance_pct is not None and line.variance_pct > over_budget_pct
    ]


def reconciliation_follow_up(
    lines: Sequence[ReconciliationLine], sync_rate: SyncRate | None, sync_target: float, currency: str
) -> list[Recommendation]:
    """Unmatched account-months of closed periods, and a sync rate below its target."""
    found = []
    exceptions = [line for line in lines if line.is_closed and line.status != "matched"]
    rate = None if sync_rate is None else sync_rate.rate
    below_target = rate is not None and rate < sync_target
    if exceptions:
        at_stake = sum(abs(line.difference_rc or 0.0) for line in exceptions)
        largest = max(exceptions, key=lambda line: abs(line.difference_rc or 0.0))
        found.append(
            Recommendation(
                rule="reconciliation_exceptions",
                priority=ACT_NOW if below_target else REVIEW,
                subject="reconciliation",
                text=(
                    f"Resolve {len(exceptions)} reconciliation exception(s) worth "
                    f"{money_short(at_stake, currency)}; the largest: {largest.platform} account "
                    f"{largest.platform_account_id}, {largest.billing_period}, {largest.status.replace('_', ' ')}."
                ),
                impact_rc=at_stake,
            )
        )
    if below_target and sync_rate is not None:
        found.append(
            Recommendation(
                rule="sync_rate_below_target",
                priority=ACT_NOW,
                subject="sync rate",
                text=(
                    f"Only {pct(rate)} of platform spend is matched to invoices"
                    f"{'' if sync_rate.billing_period == 'all' else ' in ' + sync_rate.billing_period}, "
                    f"below the {pct(sync_target, 0)} target: chase the missing and disputed invoices."
                ),
                impact_rc=sync_rate.total_spend_rc - sync_rate.matched_spend_rc,
            )
        )
    return found


def budget_scenario_moves(
    scenarios: Sequence[BudgetScenario],
    channels: Sequence[ScenarioChannel],
    currency: str,
    sure_probability: float = 0.9,
) -> list[Recommendation]:
    """Each optimised budget scenario that is expected to beat today's allocation, as the move it asks
    for: from the channel it cuts most to the one it raises most, with the expected uplift of incremental
    margin net of spend, its interval and the probability of improvement. A review when the model is sure
    (probability at least ``sure_probability``), an opportunity otherwise."""
    found = []
    for scenario in scenarios:
        if scenario.net_uplift_rc <= 0:
            continue
        moves = [channel for channel in channels if channel.scenario == scenario.scenario]
        cuts = sorted((move for move in moves if move.change_rc < 0), key=lambda move: move.change_rc)
        raises = sorted((move for move in moves if move.change_rc > 0), key=lambda move: -move.change_rc)
        spend_change = scenario.recommended_spend_rc - scenario.current_spend_rc
        if cuts and raises:
            amount = min(-cuts[0].change_rc, raises[0].change_rc)
            action = f"Move {money_short(amount, currency)} from {cuts[0].channel} to {raises[0].channel}"
        elif cuts:
            action = f"Cut {cuts[0].channel} by {money_short(-cuts[0].change_rc, currency)}"
        elif raises:
            action = f"Raise {raises[0].channel} by {money_short(raises[0].change_rc, currency)}"
        else:
            continue
        others = len(cuts) + len(raises) - (2 if cuts and raises else 1)
        more = f" (and {others} smaller change{'s' if others != 1 else ''})" if others > 0 else ""
        total = (
            ""
            if abs(spend_change) < 0.005 * max(scenario.current_spend_rc, 1.0)
            else f", total spend {pct(spend_change / scenario.current_spend_rc, signed=True)}"
        )
        extrapolated = [move.channel for move in moves if move.is_extrapolated]
        caveat = (
            f" Relies on spend beyond what the model has seen for {', '.join(extrapolated)}." if extrapolated else ""
        )
        found.append(
            Recommendation(
                rule="budget_scenario",
                priority=REVIEW if scenario.probability_of_improvement >= sure_probability else OPPORTUNITY,
                subject=scenario.scenario,
                text=(
                    f"{action}{more}{total} ({scenario.scenario.replace('_', ' ')}, "
                    f"{scenario.window_start:%b %Y} to {scenario.window_end:%b %Y}): expected "
                    f"+{money_short(scenario.net_uplift_rc, currency)} incremental margin net of spend, "
                    f"{pct(scenario.interval_level, 0)} interval "
                    f"{money_short(scenario.net_uplift_ci_low_rc, currency)} to "
                    f"{money_short(scenario.net_uplift_ci_high_rc, currency)}, probability of improvement "
                    f"{pct(scenario.probability_of_improvement, 0)}.{caveat}"
                ),
                impact_rc=scenario.net_uplift_rc,
            )
        )
    return found


def recommend(
    *,
    roi: Sequence[ChannelRoi],
    model: str,
    budget_lines: Sequence[BudgetLine],
    pacing: Sequence[PacingLine],
    reconciliation: Sequence[ReconciliationLine],
    sync_rate: SyncRate | None,
    thresholds: Thresholds,
    currency: str,
    limit: int,
    scenarios: Sequence[BudgetScenario] = (),
    scenario_channels: Sequence[ScenarioChannel] = (),
) -> list[Recommendation]:
    """Every rule's findings, most pressing first, at most ``limit``.

    Where a marketing-mix model is fitted (``scenarios``), budget advice comes from its scenarios; the
    attribution-interval advice (cut or fund a channel by its attributed ROI interval) only where it is not."""
    attribution_advice = not scenarios
    found = [
        *(roi_interval_below_zero(roi, model, currency) if attribution_advice else []),
        *projected_over_budget(pacing, thresholds.over_budget_pct, currency),
        *reconciliation_follow_up(reconciliation, sync_rate, thresholds.sync_target, currency),
        *over_budget(budget_lines, thresholds.over_budget_pct, currency),
        *pacing_under(pacing, currency),
        *budget_scenario_moves(scenarios, scenario_channels, currency, thresholds.scenario_probability),
        *(roi_interval_above_zero(roi, model, currency) if attribution_advice else []),
    ]
    return sorted(found, key=lambda item: (item.priority, -abs(item.impact_rc), item.rule, item.subject))[:limit]


def _by_channel(rows: Sequence[ChannelRoi]) -> dict[str, list[ChannelRoi]]:
    grouped: dict[str, list[ChannelRoi]] = {}
    for row in rows:
        grouped.setdefault(row.channel, []).append(row)
    return grouped
