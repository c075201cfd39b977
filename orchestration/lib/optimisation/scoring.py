"""Scoring a recommendation against the true response curves (the generator's planted truth).

The model's recommendation is priced with the *true* curves and compared with the true optimum under
the same window, bounds and total:

* ``reallocate_same_budget``: the share of the true optimum's uplift the recommendation captures,
  ``(R(rec) - R(now)) / (R(opt) - R(now))`` (R: true incremental revenue; at one total, revenue and
  margin rank the same);
* ``same_revenue_least_spend``: the share of today's true incremental revenue the recommendation keeps,
  ``R(rec) / R(now)``, and the share of the true optimum's saving it saves,
  ``(S(now) - S(rec)) / (S(now) - S(opt))``, where the true optimum is the least spend keeping ``R(now)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.lib.incrementality.curves import ResponseCurves
from orchestration.lib.optimisation import solver
from orchestration.lib.optimisation.scenarios import ScenarioSpec, bounds_for


@dataclass(frozen=True)
class ReallocationScore:
    true_revenue_now: float
    true_revenue_recommended: float
    true_revenue_optimum: float
    optimum_rc: np.ndarray

    @property
    def captured_uplift_share(self) -> float:
        possible = self.true_revenue_optimum - self.true_revenue_now
        return 1.0 if possible <= 0 else (self.true_revenue_recommended - self.true_revenue_now) / possible


@dataclass(frozen=True)
class LeastSpendScore:
    true_revenue_now: float
    true_revenue_recommended: float
    spend_now: float
    spend_recommended: float
    spend_optimum: float
    optimum_rc: np.ndarray

    @property
    def kept_revenue_share(self) -> float:
        return self.true_revenue_recommended / self.true_revenue_now

    @property
    def captured_saving_share(self) -> float:
        possible = self.spend_now - self.spend_optimum
        return 1.0 if possible <= 0 else (self.spend_now - self.spend_recommended) / possible


def _true_problem(
    truth: ResponseCurves, spec: ScenarioSpec, channels: tuple[str, ...], days: int, current_rc: np.ndarray
) -> solver.Problem:
    """The scenario's problem (its channels, window and bounds) over the true curves."""
    missing = set(channels) - set(truth.channels)
    if missing:
        raise ValueError(f"the truth has no curve for {sorted(missing)}")
    lower, upper = bounds_for(spec, channels, current_rc)
    return solver.Problem(curves=truth.subset(channels), days=days, lower_rc=lower, upper_rc=upper)


def score_reallocation(
    truth: ResponseCurves,
    spec: ScenarioSpec,
    channels: tuple[str, ...],
    days: int,
    current_rc: np.ndarray,
    recommended_rc: np.ndarray,
) -> ReallocationScore:
    """How much of the true optimum's uplift a same-total recommendation captures (same bounds)."""
    problem = _true_problem(truth, spec, channels, days, current_rc)
    optimum = solver.maximise_revenue_at_total(problem, float(np.sum(recommended_rc)), current_rc)
    return ReallocationScore(
        true_revenue_now=problem.expected_revenue(current_rc),
        true_revenue_recommended=problem.expected_revenue(recommended_rc),
        true_revenue_optimum=problem.expected_revenue(optimum),
        optimum_rc=optimum,
    )


def score_least_spend(
    truth: ResponseCurves,
    spec: ScenarioSpec,
    channels: tuple[str, ...],
    days: int,
    current_rc: np.ndarray,
    recommended_rc: np.ndarray,
) -> LeastSpendScore:
    """How much true revenue a least-spend recommendation keeps and how much of the true saving it makes."""
    problem = _true_problem(truth, spec, channels, days, current_rc)
    revenue_now = problem.expected_revenue(current_rc)
    optimum = solver.least_spend_for_revenue(problem, spec.revenue_multiple * revenue_now, current_rc)
    return LeastSpendScore(
        true_revenue_now=revenue_now,
        true_revenue_recommended=problem.expected_revenue(recommended_rc),
        spend_now=float(np.sum(current_rc)),
        spend_recommended=float(np.sum(recommended_rc)),
        spend_optimum=float(optimum.sum()),
        optimum_rc=optimum,
    )
