"""Budget scenarios: what to optimise, over which window, within which bounds; and their result rows.

A scenario is one of three objectives over a window of complete months (default: the last 12), each
channel bounded to multiples of its own spend in the window (default 0.3x to 3x; a locked channel is
held at its spend):

* ``max_margin`` (``reallocate_same_budget``): a total (default: today's) split for the most expected
  incremental margin;
* ``least_spend`` (``same_revenue_least_spend``): the least total whose expected incremental revenue
  is still today's (or a multiple of it);
* ``target_mroi`` (``target_mroi``): each channel funded until its marginal ROI falls to a floor.

The three defaults always run; ``config/roi.yml`` (``optimisation.scenarios``) adds named ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from orchestration.lib.incrementality.curves import ResponseCurves
from orchestration.lib.optimisation import solver
from orchestration.lib.optimisation.evaluation import AllocationEvaluation, evaluate
from orchestration.lib.settings import OptimisationSettings

Objective = Literal["max_margin", "least_spend", "target_mroi"]
DEFAULT_SCENARIOS: Mapping[str, Objective] = {
    "reallocate_same_budget": "max_margin",
    "same_revenue_least_spend": "least_spend",
    "target_mroi": "target_mroi",
}


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario, every default already filled in from the config."""

    name: str
    objective: Objective
    window_months: int = 12
    window_end_month: str | None = None
    lower_multiple: float = 0.3
    upper_multiple: float = 3.0
    channel_bounds: Mapping[str, tuple[float | None, float | None]] = field(default_factory=dict)
    locked_channels: frozenset[str] = frozenset()
    total_rc: float | None = None
    total_multiple: float | None = None
    revenue_multiple: float = 1.0
    mroi_floor: float = 0.0


def specs_from_config(config: OptimisationSettings) -> list[ScenarioSpec]:
    """The three default scenarios, then the named ones, with the section's defaults filled in."""
    common = {
        "window_months": config.window_months,
        "lower_multiple": config.lower_multiple,
        "upper_multiple": config.upper_multiple,
        "mroi_floor": config.mroi_floor,
    }
    specs = [ScenarioSpec(name=name, objective=objective, **common) for name, objective in DEFAULT_SCENARIOS.items()]
    for named in config.scenarios:
        specs.append(
            ScenarioSpec(
                name=named.name,
                objective=named.objective,
                window_months=named.window_months or config.window_months,
                window_end_month=named.window_end_month,
                lower_multiple=config.lower_multiple if named.lower_multiple is None else named.lower_multiple,
                upper_multiple=config.upper_multiple if named.upper_multiple is None else named.upper_multiple,
                channel_bounds={
                    channel: (bounds.lower, bounds.upper) for channel, bounds in named.channel_bounds.items()
                },
                locked_channels=frozenset(named.locked_channels),
                total_rc=named.total_rc,
                total_multiple=named.total_multiple,
                revenue_multiple=named.revenue_multiple,
                mroi_floor=config.mroi_floor if named.mroi_floor is None else named.mroi_floor,
            )
        )
    return specs


@dataclass(frozen=True)
class Window:
    """Whole days from ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def window_for(as_of: dt.date, months: int, end_month: str | None = None) -> Window:
    """``months`` whole calendar months ending with ``end_month`` (``YYYY-MM``) or, by default, with the
    last month complete on ``as_of`` (its last day is on or before ``as_of``)."""
    if months < 1:
        raise ValueError("a window has at least one month")
    if end_month is not None:
        year, month = (int(part) for part in end_month.split("-"))
        last_start = dt.date(year, month, 1)
    else:
        next_day_start = _month_start(as_of + dt.timedelta(days=1))
        last_start = _month_start(next_day_start, 1)
    end = _month_start(last_start, -1) - dt.timedelta(days=1)
    return Window(start=_month_start(last_start, months - 1), end=end)


def bounds_for(spec: ScenarioSpec, channels: Sequence[str], current_rc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel lower and upper window totals: multiples of each channel's current spend (a channel's
    own multiples override the scenario's), a locked channel at its spend."""
    unknown = (set(spec.channel_bounds) | set(spec.locked_channels)) - set(channels)
    if unknown:
        raise ValueError(f"scenario {spec.name}: unknown channels {sorted(unknown)} (known: {list(channels)})")
    lower, upper = np.empty(len(channels)), np.empty(len(channels))
    for index, channel in enumerate(channels):
        low_multiple, high_multiple = spec.channel_bounds.get(channel, (None, None))
        low = spec.lower_multiple if low_multiple is None else low_multiple
        high = spec.upper_multiple if high_multiple is None else high_multiple
        if channel in spec.locked_channels:
            low = high = 1.0
        if not 0 <= low <= high:
            raise ValueError(f"scenario {spec.name}: {channel} bounds need 0 <= lower <= upper, got {low}, {high}")
        lower[index], upper[index] = low * current_rc[index], high * current_rc[index]
    return lower, upper


@dataclass(frozen=True)
class ScenarioResult:
    spec: ScenarioSpec
    window: Window
    channels: tuple[str, ...]
    current_rc: np.ndarray
    lower_rc: np.ndarray
    upper_rc: np.ndarray
    recommended_rc: np.ndarray | None
    evaluation: AllocationEvaluation | None
    status: Literal["optimised", "infeasible"]
    message: str = ""


def recommend(
    spec: ScenarioSpec,
    curves: ResponseCurves,
    days: int,
    current_rc: np.ndarray,
    margin_ratio: float,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scenario's recommended window totals, with its lower and upper bounds."""
    lower, upper = bounds_for(spec, curves.channels, current_rc)
    problem = solver.Problem(curves=curves, days=days, lower_rc=lower, upper_rc=upper)
    if spec.objective == "max_margin":
        total = float(current_rc.sum()) if spec.total_rc is None else spec.total_rc
        if spec.total_multiple is not None:
            total = float(current_rc.sum()) * spec.total_multiple
        recommended = solver.maximise_revenue_at_total(problem, total, current_rc, seed)
    elif spec.objective == "least_spend":
        target = spec.revenue_multiple * problem.expected_revenue(current_rc)
        recommended = solver.least_spend_for_revenue(problem, target, current_rc, seed)
    else:
        recommended = solver.fund_to_marginal_roi(problem, margin_ratio, spec.mroi_floor)
    return recommended, lower, upper


def run_scenario(
    spec: ScenarioSpec,
    curves: ResponseCurves,
    window: Window,
    current_rc: np.ndarray,
    margin_ratio: float,
    level: float = 0.9,
    seed: int = 0,
) -> ScenarioResult:
    """Optimise the posterior-mean objective, then evaluate today's and the recommended allocation over
    every draw. A scenario whose constraints admit no allocation is reported as ``infeasible``."""
    current = np.asarray(current_rc, dtype=float)
    try:
        recommended, lower, upper = recommend(spec, curves, window.days, current, margin_ratio, seed)
    except solver.InfeasibleScenarioError as error:
        lower, upper = bounds_for(spec, curves.channels, current)
        return ScenarioResult(
            spec, window, curves.channels, current, lower, upper, None, None, "infeasible", str(error)
        )
    evaluation = evaluate(curves, window.days, current, recommended, margin_ratio, level)
    return ScenarioResult(spec, window, curves.channels, current, lower, upper, recommended, evaluation, "optimised")


def channel_rows(result: ScenarioResult) -> list[dict[str, Any]]:
    """``fct_budget_scenarios`` rows (scenario x channel) of one result."""
    if result.evaluation is None:
        return []
    rows = []
    for index, channel in enumerate(result.evaluation.channels):
        rows.append(
            {
                "scenario": result.spec.name,
                "objective": result.spec.objective,
                "channel": channel.channel,
                "window_start": result.window.start,
                "window_end": result.window.end,
                "current_spend_rc": channel.current_spend_rc,
                "recommended_spend_rc": channel.recommended_spend_rc,
                "change_rc": channel.recommended_spend_rc - channel.current_spend_rc,
                "change_pct": channel.change_pct,
                "lower_bound_rc": float(result.lower_rc[index]),
                "upper_bound_rc": float(result.upper_rc[index]),
                "is_locked": channel.channel in result.spec.locked_channels,
                "current_incremental_revenue_rc": channel.current_revenue.mean,
                "current_incremental_revenue_ci_low_rc": channel.current_revenue.low,
                "current_incremental_revenue_ci_high_rc": channel.current_revenue.high,
                "expected_incremental_revenue_rc": channel.recommended_revenue.mean,
                "expected_incremental_revenue_ci_low_rc": channel.recommended_revenue.low,
                "expected_incremental_revenue_ci_high_rc": channel.recommended_revenue.high,
                "current_incremental_margin_rc": channel.current_margin.mean,
                "current_incremental_margin_ci_low_rc": channel.current_margin.low,
                "current_incremental_margin_ci_high_rc": channel.current_margin.high,
                "expected_incremental_margin_rc": channel.recommended_margin.mean,
                "expected_incremental_margin_ci_low_rc": channel.recommended_margin.low,
                "expected_incremental_margin_ci_high_rc": channel.recommended_margin.high,
                "roi_current": channel.roi_current,
                "roi_expected": channel.roi_expected,
                "mroas": channel.mroas,
                "mroi": channel.mroi,
                "is_extrapolated": channel.is_extrapolated,
            }
        )
    return rows


def summary_row(result: ScenarioResult, fit_id: str, level: float) -> dict[str, Any]:
    """The ``fct_budget_scenario_summary`` row (one per scenario) of one result."""
    row: dict[str, Any] = {
        "scenario": result.spec.name,
        "objective": result.spec.objective,
        "fit_id": fit_id,
        "status": result.status,
        "status_message": result.message,
        "window_start": result.window.start,
        "window_end": result.window.end,
        "interval_level": level,
        "channels": len(result.channels),
        "locked_channels": ",".join(sorted(result.spec.locked_channels)),
    }
    evaluation = result.evaluation
    if evaluation is None:
        return row | {"current_spend_rc": float(result.current_rc.sum())}
    return row | {
        "current_spend_rc": evaluation.current_spend_rc,
        "recommended_spend_rc": evaluation.recommended_spend_rc,
        "spend_change_rc": evaluation.recommended_spend_rc - evaluation.current_spend_rc,
        "current_incremental_revenue_rc": evaluation.current_revenue.mean,
        "current_incremental_revenue_ci_low_rc": evaluation.current_revenue.low,
        "current_incremental_revenue_ci_high_rc": evaluation.current_revenue.high,
        "expected_incremental_revenue_rc": evaluation.recommended_revenue.mean,
        "expected_incremental_revenue_ci_low_rc": evaluation.recommended_revenue.low,
        "expected_incremental_revenue_ci_high_rc": evaluation.recommended_revenue.high,
        "current_incremental_margin_rc": evaluation.current_margin.mean,
        "current_incremental_margin_ci_low_rc": evaluation.current_margin.low,
        "current_incremental_margin_ci_high_rc": evaluation.current_margin.high,
        "expected_incremental_margin_rc": evaluation.recommended_margin.mean,
        "expected_incremental_margin_ci_low_rc": evaluation.recommended_margin.low,
        "expected_incremental_margin_ci_high_rc": evaluation.recommended_margin.high,
        "margin_uplift_rc": evaluation.margin_uplift.mean,
        "margin_uplift_ci_low_rc": evaluation.margin_uplift.low,
        "margin_uplift_ci_high_rc": evaluation.margin_uplift.high,
        "net_uplift_rc": evaluation.net_uplift.mean,
        "net_uplift_ci_low_rc": evaluation.net_uplift.low,
        "net_uplift_ci_high_rc": evaluation.net_uplift.high,
        "probability_of_improvement": evaluation.probability_of_improvement,
        "roi_current": evaluation.roi_current,
        "roi_expected": evaluation.roi_expected,
        "budget_efficiency_gain_pct": evaluation.budget_efficiency_gain_pct,
        "roi_improvement_pct": evaluation.roi_improvement_pct,
        "is_extrapolated": evaluation.is_extrapolated,
    }
