"""Budget allocations that maximise the posterior-mean response, under per-channel bounds.

Everything here works on *window totals* per channel (the spend over a window of ``days`` days, in
the reporting currency). A total ``S`` spent evenly is ``S / days`` per day, and the steady-state
response curves (``ResponseCurves``) give the incremental revenue per day at that level, so the
expected incremental revenue of an allocation over the window is

    E(S) = days * sum_c mean_draws r_c(S_c / days),       dE/dS_c = mean_draws r'_c(S_c / days).

Margin is revenue times the window's gross-margin ratio (one ratio, as in ``fct_mmm_channel_roi``),
so maximising margin at a fixed total is maximising revenue.

The optimiser is scipy's SLSQP with the analytic gradient (``marginal_revenue_per_day``). Why not
PyMC-Marketing's ``BudgetOptimizer``: it optimises a fitted ``MMM`` object (its adstock and
saturation graph, over the model's own time index), while these curves come from the warehouse table
``incrementality.mmm_curve_draws`` (and from the generator's planted truth, for scoring), with no model
object at hand; the three scenarios also need a least-spend and a marginal-ROI floor, which that
optimiser does not offer. The steady-state curves make the problem small and separable, which SLSQP
solves in milliseconds.

Hill curves with ``slope > 1`` are S-shaped, so the problem is not concave and SLSQP can stop at a
local optimum. Every solve therefore starts from several feasible points (today's allocation, a greedy
allocation of the budget in small increments to the best average return, a spread in proportion to
the bounds, and seeded random ones) and keeps the best; the tests compare it with a grid search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from orchestration.lib.incrementality.curves import ResponseCurves

# Steps of the greedy start: the budget above the lower bounds is handed out in this many increments.
GREEDY_STEPS = 400
# Random feasible starts besides the deterministic ones (seeded: the same inputs give the same answer).
RANDOM_STARTS = 4
# Grid points per channel of the separable target-mROI search before its local refinement.
MROI_GRID_POINTS = 801
# Relative tolerance of the least-spend bisection on the total budget.
BISECTION_TOLERANCE = 1e-6


class InfeasibleScenarioError(ValueError):
    """The constraints admit no allocation (e.g. a total outside the sum of the bounds)."""


@dataclass(frozen=True)
class Problem:
    """The curves and the per-channel box of one scenario, in window totals."""

    curves: ResponseCurves
    days: int
    lower_rc: np.ndarray
    upper_rc: np.ndarray

    def __post_init__(self) -> None:
        if self.days <= 0:
            raise ValueError("a window has at least one day")
        if self.lower_rc.shape != (len(self.curves.channels),) or self.upper_rc.shape != self.lower_rc.shape:
            raise ValueError("one lower and one upper bound per channel")
        if np.any(self.lower_rc < 0) or np.any(self.upper_rc < self.lower_rc):
            raise ValueError("bounds must satisfy 0 <= lower <= upper")

    def expected_revenue_by_channel(self, spend_rc: np.ndarray) -> np.ndarray:
        """Posterior-mean incremental revenue over the window, per channel."""
        per_day = self.curves.revenue_per_day(np.asarray(spend_rc, dtype=float) / self.days)
        return self.days * per_day.mean(axis=0)

    def expected_revenue(self, spend_rc: np.ndarray) -> float:
        return float(self.expected_revenue_by_channel(spend_rc).sum())

    def expected_marginal_revenue(self, spend_rc: np.ndarray) -> np.ndarray:
        """d E / d S_c: the posterior-mean marginal ROAS of each channel at ``spend_rc``."""
        slope = self.curves.marginal_revenue_per_day(np.asarray(spend_rc, dtype=float) / self.days)
        return np.nan_to_num(slope.mean(axis=0), nan=0.0, posinf=1e12)


def project_to_total(point: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """The point ``clip(point + t, lower, upper)`` whose sum is ``total`` (bisection on the shift ``t``)."""
    if total <= lower.sum():
        return lower.copy()
    if total >= upper.sum():
        return upper.copy()
    low, high = -float(np.max(point - lower)) - 1.0, float(np.max(upper - point)) + 1.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if np.clip(point + middle, lower, upper).sum() < total:
            low = middle
        else:
            high = middle
    projected = np.clip(point + 0.5 * (low + high), lower, upper)
    # the remaining rounding goes to the channels with room, pro rata
    gap = total - projected.sum()
    room = (upper - projected) if gap > 0 else (projected - lower)
    if room.sum() > 0:
        projected = projected + gap * room / room.sum()
    return projected


def greedy_allocation(problem: Problem, total: float, steps: int = GREEDY_STEPS) -> np.ndarray:
    """From the lower bounds, hand the rest of ``total`` out in ``steps`` increments, each to the channel
    whose next increment earns the most (S-curves: the average return over the step, not the slope)."""
    allocation = problem.lower_rc.astype(float).copy()
    remaining = total - allocation.sum()
    if remaining <= 0:
        return allocation
    step = remaining / steps
    revenue = problem.expected_revenue_by_channel(allocation)
    for _ in range(steps):
        room = problem.upper_rc - allocation
        increment = np.minimum(step, room)
        if increment.max() <= 0:
            break
        gained = problem.expected_revenue_by_channel(allocation + increment) - revenue
        rate = np.where(increment > 0, gained / np.where(increment > 0, increment, 1.0), -np.inf)
        best = int(np.argmax(rate))
        allocation[best] += increment[best]
        revenue[best] += gained[best]
    return project_to_total(allocation, problem.lower_rc, problem.upper_rc, total)


def _starts(problem: Problem, total: float, current_rc: np.ndarray, seed: int) -> list[np.ndarray]:
    lower, upper = problem.lower_rc, problem.upper_rc
    starts = [
        project_to_total(np.clip(current_rc, lower, upper), lower, upper, total),
        greedy_allocation(problem, total),
        project_to_total(lower + (upper - lower) * 0.5, lower, upper, total),
    ]
    generator = np.random.default_rng(seed)
    for _ in range(RANDOM_STARTS):
        starts.append(project_to_total(lower + (upper - lower) * generator.random(len(lower)), lower, upper, total))
    return starts


def _best_local(
    starts: list[np.ndarray],
    objective: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    bounds: optimize.Bounds,
    constraints: list[dict[str, object]],
    feasible: Callable[[np.ndarray], bool],
) -> np.ndarray:
    """SLSQP from each start; the best feasible end point (a start itself when nothing improves it)."""
    best, best_value = None, np.inf
    for start in starts:
        candidates = [start]
        result = optimize.minimize(
            objective,
            start,
            jac=gradient,
            bounds=bounds,
            constraints=constraints,
            method="SLSQP",
            options={"maxiter": 500, "ftol": 1e-12},
        )
        candidates.append(np.clip(result.x, bounds.lb, bounds.ub))
        for candidate in candidates:
            value = objective(candidate)
            if feasible(candidate) and value < best_value:
                best, best_value = candidate, value
    if best is None:
        raise InfeasibleScenarioError("no feasible allocation found")
    return best


def maximise_revenue_at_total(
    problem: Problem,
    total_rc: float,
    current_rc: np.ndarray,
    seed: int = 0,
    warm_starts: list[np.ndarray] | None = None,
) -> np.ndarray:
    """The allocation of ``total_rc`` within the bounds with the most expected incremental revenue
    (and so margin): at an interior optimum every free channel has the same marginal ROAS.

    ``warm_starts`` (allocations of a nearby total, projected onto this one) replace the default set of
    starting points: the least-spend search solves many nearby totals."""
    lower, upper = problem.lower_rc, problem.upper_rc
    tolerance = 1e-9 * max(total_rc, 1.0)
    if total_rc < lower.sum() - tolerance or total_rc > upper.sum() + tolerance:
        raise InfeasibleScenarioError(
            f"total {total_rc:,.2f} outside the bounds' range {lower.sum():,.2f} to {upper.sum():,.2f}"
        )
    free = upper > lower
    if not free.any():
        return lower.copy()
    scale = max(total_rc, 1.0)
    reference = max(problem.expected_revenue(current_rc), 1.0)
    fixed = np.where(free, 0.0, lower)

    def full(z: np.ndarray) -> np.ndarray:
        spend = fixed.copy()
        spend[free] = z * scale
        return spend

    def objective(z: np.ndarray) -> float:
        return -problem.expected_revenue(full(z)) / reference

    def gradient(z: np.ndarray) -> np.ndarray:
        return -problem.expected_marginal_revenue(full(z))[free] * scale / reference

    remaining = (total_rc - fixed.sum()) / scale
    constraints = [
        {
            "type": "eq",
            "fun": lambda z: np.array([z.sum() - remaining]),
            "jac": lambda z: np.ones((1, len(z))),
        }
    ]
    bounds = optimize.Bounds(lower[free] / scale, upper[free] / scale)
    if warm_starts is None:
        candidates = _starts(problem, total_rc, current_rc, seed)
    else:
        candidates = [project_to_total(start, lower, upper, total_rc) for start in warm_starts]
    starts = [start[free] / scale for start in candidates]
    best = _best_local(
        starts, objective, gradient, bounds, constraints, lambda z: abs(z.sum() - remaining) <= 1e-7 * max(1, remaining)
    )
    return project_to_total(full(best), lower, upper, total_rc)


def least_spend_for_revenue(problem: Problem, revenue_rc: float, current_rc: np.ndarray, seed: int = 0) -> np.ndarray:
    """The least total spend within the bounds whose best allocation still earns ``revenue_rc`` of
    expected incremental revenue: bisection on the total, each total allocated by
    ``maximise_revenue_at_total`` (the most revenue a total can buy rises with the total)."""
    lower, upper = problem.lower_rc, problem.upper_rc
    if problem.expected_revenue(lower) >= revenue_rc:
        return lower.copy()
    if problem.expected_revenue(upper) < revenue_rc * (1 - 1e-12):
        raise InfeasibleScenarioError(
            f"even the upper bounds earn only {problem.expected_revenue(upper):,.2f} of the "
            f"{revenue_rc:,.2f} expected incremental revenue asked for"
        )
    low_total, high_total = float(lower.sum()), float(upper.sum())
    best = upper.copy()
    current_total = float(np.sum(current_rc))
    if low_total < current_total < high_total:
        at_current = maximise_revenue_at_total(problem, current_total, current_rc, seed)
        if problem.expected_revenue(at_current) >= revenue_rc:
            high_total, best = current_total, at_current
        else:
            low_total = current_total
    # the nearby totals start from the best allocation so far and from a fresh greedy one
    greedy = greedy_allocation(problem, 0.5 * (low_total + high_total))
    while high_total - low_total > BISECTION_TOLERANCE * max(high_total, 1.0):
        middle = 0.5 * (low_total + high_total)
        allocation = maximise_revenue_at_total(problem, middle, best, seed, warm_starts=[best, greedy])
        if problem.expected_revenue(allocation) >= revenue_rc:
            high_total, best = middle, allocation
        else:
            low_total = middle
    return best


def fund_to_marginal_roi(problem: Problem, margin_ratio: float, floor: float = 0.0) -> np.ndarray:
    """Each channel funded, within its bounds, to the spend with the most expected incremental margin
    net of ``(1 + floor)`` times the spend: where it is interior, its marginal ROI
    (``margin_ratio * marginal ROAS - 1``) has fallen to ``floor``. Channels are independent: a dense
    grid per channel (S-curves have two stationary points), then a bounded local refinement."""
    price = 1.0 + floor
    lower, upper = problem.lower_rc.astype(float), problem.upper_rc.astype(float)
    fractions = np.linspace(0.0, 1.0, MROI_GRID_POINTS)[:, None]
    grid = lower + fractions * (upper - lower)
    net = np.stack([margin_ratio * problem.expected_revenue_by_channel(row) - price * row for row in grid])
    best_index = net.argmax(axis=0)
    allocation = grid[best_index, np.arange(len(lower))]
    step = (upper - lower) / (MROI_GRID_POINTS - 1)
    for channel in np.flatnonzero(upper > lower):

        def negative_net(spend: float, channel: int = channel) -> float:
            point = allocation.copy()
            point[channel] = spend
            return -(margin_ratio * problem.expected_revenue_by_channel(point)[channel] - price * spend)

        low = max(lower[channel], allocation[channel] - step[channel])
        high = min(upper[channel], allocation[channel] + step[channel])
        refined = optimize.minimize_scalar(negative_net, bounds=(low, high), method="bounded", options={"xatol": 1e-9})
        if refined.success and negative_net(refined.x) <= negative_net(allocation[channel]):
            allocation[channel] = refined.x
    return allocation
