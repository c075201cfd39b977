"""An allocation evaluated over every posterior draw: revenue, margin, uplift, their intervals.

The optimiser picks the allocation with the best *posterior-mean* margin; here the current and the
recommended allocations are both pushed through every draw of the curves, so the uplift of each draw
is paired (the same curves price both allocations) and its interval and the probability of
improvement reflect how sure the model is, not only how large the expected gain is.

Definitions (totals over the window, margin = revenue x the window's gross-margin ratio):

* ``roi = (margin - spend) / spend`` (as in ``fct_mmm_channel_roi``), of the expected margin;
* ``mroi = margin_ratio * marginal ROAS - 1``: the ROI of the next unit of spend;
* the *net* contribution is ``margin - spend``; a scenario improves on today when its net contribution
  is higher (for a same-budget reallocation that is the margin uplift; for a scenario that spends less
  or more it counts the money saved or added), and ``probability_of_improvement`` is the share of
  draws where it is;
* ``budget_efficiency_gain_pct``: the change of expected incremental revenue per unit of spend
  (``(R_new / S_new) / (R_now / S_now) - 1``); at the same revenue it is ``S_now / S_new - 1``;
* ``roi_improvement_pct``: the relative change of the total ROI, ``(roi_new - roi_now) / |roi_now|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.lib.incrementality.curves import ResponseCurves


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float


def interval(samples: np.ndarray, level: float) -> Interval:
    """Posterior mean and the equal-tailed ``level`` interval of ``samples`` (draws on axis 0)."""
    tail = (1.0 - level) / 2.0
    values = np.asarray(samples, dtype=float)
    return Interval(float(values.mean()), float(np.quantile(values, tail)), float(np.quantile(values, 1.0 - tail)))


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass(frozen=True)
class ChannelEvaluation:
    channel: str
    current_spend_rc: float
    recommended_spend_rc: float
    current_revenue: Interval
    recommended_revenue: Interval
    current_margin: Interval
    recommended_margin: Interval
    roi_current: float | None
    roi_expected: float | None
    mroas: float
    mroi: float
    is_extrapolated: bool

    @property
    def change_pct(self) -> float | None:
        return _ratio(self.recommended_spend_rc - self.current_spend_rc, self.current_spend_rc)


@dataclass(frozen=True)
class AllocationEvaluation:
    channels: tuple[ChannelEvaluation, ...]
    current_spend_rc: float
    recommended_spend_rc: float
    current_revenue: Interval
    recommended_revenue: Interval
    current_margin: Interval
    recommended_margin: Interval
    margin_uplift: Interval
    net_uplift: Interval
    probability_of_improvement: float
    roi_current: float | None
    roi_expected: float | None
    budget_efficiency_gain_pct: float | None
    roi_improvement_pct: float | None
    is_extrapolated: bool


def evaluate(
    curves: ResponseCurves,
    days: int,
    current_rc: np.ndarray,
    recommended_rc: np.ndarray,
    margin_ratio: float,
    level: float = 0.9,
) -> AllocationEvaluation:
    """Both allocations (window totals per channel) over every draw of ``curves``."""
    current = np.asarray(current_rc, dtype=float)
    recommended = np.asarray(recommended_rc, dtype=float)
    revenue_now = days * curves.revenue_per_day(current / days)  # (draws, channels)
    revenue_new = days * curves.revenue_per_day(recommended / days)
    margin_now, margin_new = margin_ratio * revenue_now, margin_ratio * revenue_new
    mroas = np.nan_to_num(curves.marginal_revenue_per_day(recommended / days).mean(axis=0), posinf=np.inf)
    extrapolated = curves.is_extrapolated(recommended / days)
    channels = tuple(
        ChannelEvaluation(
            channel=name,
            current_spend_rc=float(current[index]),
            recommended_spend_rc=float(recommended[index]),
            current_revenue=interval(revenue_now[:, index], level),
            recommended_revenue=interval(revenue_new[:, index], level),
            current_margin=interval(margin_now[:, index], level),
            recommended_margin=interval(margin_new[:, index], level),
            roi_current=_ratio(float(margin_now[:, index].mean()) - current[index], current[index]),
            roi_expected=_ratio(float(margin_new[:, index].mean()) - recommended[index], recommended[index]),
            mroas=float(mroas[index]),
            mroi=float(margin_ratio * mroas[index] - 1.0),
            is_extrapolated=bool(extrapolated[index]),
        )
        for index, name in enumerate(curves.channels)
    )
    spend_now, spend_new = float(current.sum()), float(recommended.sum())
    total_revenue_now, total_revenue_new = revenue_now.sum(axis=1), revenue_new.sum(axis=1)
    total_margin_now, total_margin_new = margin_now.sum(axis=1), margin_new.sum(axis=1)
    net_uplift = (total_margin_new - spend_new) - (total_margin_now - spend_now)
    roi_now = _ratio(float(total_margin_now.mean()) - spend_now, spend_now)
    roi_new = _ratio(float(total_margin_new.mean()) - spend_new, spend_new)
    efficiency_now = _ratio(float(total_revenue_now.mean()), spend_now)
    efficiency_new = _ratio(float(total_revenue_new.mean()), spend_new)
    return AllocationEvaluation(
        channels=channels,
        current_spend_rc=spend_now,
        recommended_spend_rc=spend_new,
        current_revenue=interval(total_revenue_now, level),
        recommended_revenue=interval(total_revenue_new, level),
        current_margin=interval(total_margin_now, level),
        recommended_margin=interval(total_margin_new, level),
        margin_uplift=interval(total_margin_new - total_margin_now, level),
        net_uplift=interval(net_uplift, level),
        probability_of_improvement=float(np.mean(net_uplift > 0)),
        roi_current=roi_now,
        roi_expected=roi_new,
        budget_efficiency_gain_pct=(
            None if efficiency_now in (None, 0.0) or efficiency_new is None else efficiency_new / efficiency_now - 1.0
        ),
        roi_improvement_pct=(None if roi_now in (None, 0.0) or roi_new is None else (roi_new - roi_now) / abs(roi_now)),
        is_extrapolated=bool(extrapolated.any()),
    )
