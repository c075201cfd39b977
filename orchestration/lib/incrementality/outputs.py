"""The tables a fit leaves in schema ``incrementality`` (dbt reads them as the ``incrementality`` source).

All money is in the reporting currency; intervals are equal-tailed credible intervals at the
configured level, read off the posterior draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from orchestration.lib.incrementality.curves import CURVE_DRAW_COLUMNS, PARAMETERS, ResponseCurves

TRAILING_MONTHS = 12


def thin(draws: int, keep: int) -> np.ndarray:
    """Evenly spaced draw indexes, at most ``keep`` of them."""
    return np.unique(np.linspace(0, draws - 1, min(keep, draws)).round().astype(int))


def interval(values: np.ndarray, level: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    tail = (1.0 - level) / 2.0
    return np.quantile(values, tail, axis=axis), np.quantile(values, 1.0 - tail, axis=axis)


def curve_draws_frame(fit_id: str, curves: ResponseCurves, keep: int) -> pd.DataFrame:
    """``incrementality.mmm_curve_draws``: one row per (channel, draw), daily steady-state parameters."""
    index = thin(curves.draws, keep)
    rows: dict[str, list[Any]] = {column: [] for column in CURVE_DRAW_COLUMNS}
    observed = curves.observed_max_daily_spend_rc
    for position, channel in enumerate(curves.channels):
        rows["fit_id"] += [fit_id] * len(index)
        rows["channel"] += [channel] * len(index)
        rows["draw"] += list(range(len(index)))
        rows["saturation"] += [curves.saturation] * len(index)
        for name in ("beta", "kappa", "slope", "lam"):
            if name in PARAMETERS[curves.saturation]:
                rows[name] += list(np.asarray(curves.params[name])[index, position].astype(float))
            else:
                rows[name] += [None] * len(index)
        rows["observed_max_daily_spend_rc"] += [float(observed[position]) if observed.size else None] * len(index)
    frame = pd.DataFrame(rows)
    frame["draw"] = frame["draw"].astype("int32")
    for name in ("beta", "kappa", "slope", "lam", "observed_max_daily_spend_rc"):
        frame[name] = frame[name].astype("float64")
    return frame


def response_curve_frame(
    fit_id: str,
    curves: ResponseCurves,
    average_daily_spend_rc: np.ndarray,
    steps: int,
    max_multiple: float,
    level: float,
) -> pd.DataFrame:
    """``incrementality.mmm_response_curves``: per channel, ``steps + 1`` daily spend levels from 0 to
    ``max_multiple`` x the channel's average daily spend, with revenue per day, its interval, the
    marginal ROAS and whether the level lies beyond the highest spend observed."""
    records = []
    for position, channel in enumerate(curves.channels):
        single = curves.subset((channel,))
        top = max(float(average_daily_spend_rc[position]) * max_multiple, 1.0)
        for step, spend in enumerate(np.linspace(0.0, top, steps + 1)):
            revenue = single.revenue_per_day(np.array([spend]))[:, 0]
            marginal = single.marginal_revenue_per_day(np.array([spend]))[:, 0]
            low, high = interval(revenue, level)
            records.append(
                {
                    "fit_id": fit_id,
                    "channel": channel,
                    "step": step,
                    "daily_spend_rc": float(spend),
                    "average_daily_spend_rc": float(average_daily_spend_rc[position]),
                    "incremental_revenue_per_day_rc": float(revenue.mean()),
                    "incremental_revenue_per_day_ci_low_rc": float(low),
                    "incremental_revenue_per_day_ci_high_rc": float(high),
                    "marginal_roas": float(np.mean(marginal[np.isfinite(marginal)]))
                    if np.isfinite(marginal).any()
                    else None,
                    "is_extrapolated": bool(single.is_extrapolated(np.array([spend]))[0]),
                }
            )
    return pd.DataFrame(records)


def daily_series(values: np.ndarray, period_days: int) -> np.ndarray:
    """Per-period values (``(..., periods, channels)``) spread evenly over each period's days."""
    return np.repeat(values / period_days, period_days, axis=-2)


def period_effects_frame(
    fit_id: str,
    channels: tuple[str, ...],
    period_start: pd.DatetimeIndex,
    period_days: int,
    contributions: np.ndarray,
    spend: np.ndarray,
    curves: ResponseCurves,
    fiscal_year_of_month: Mapping[str, str],
    level: float,
) -> pd.DataFrame:
    """``incrementality.mmm_channel_period_effects``: incremental revenue per (period type, period, channel).

    Only months (and fiscal years) the fit window covers completely, plus the last 12 complete months
    together (``trailing_12_months``, period ``YYYY-MM..YYYY-MM``). A weekly model's contributions
    are spread evenly over each week's days. ``marginal_roas`` is the revenue of the next 1 % of spend
    per unit of it, on the steady-state curve at the period's average daily spend.
    """
    days = pd.date_range(period_start[0], period_start[-1] + pd.Timedelta(days=period_days - 1))
    per_day = daily_series(contributions, period_days)  # (draws, days, channels)
    spend_per_day = daily_series(spend, period_days)  # (days, channels)
    months = np.asarray(days.strftime("%Y-%m"))
    fiscal = np.asarray([fiscal_year_of_month.get(month, "") for month in months])
    complete = _complete_months(days)
    trailing = np.asarray([""] * len(months), dtype=object)
    if len(complete) >= TRAILING_MONTHS:
        last_year = complete[-TRAILING_MONTHS:]
        trailing[np.isin(months, last_year)] = f"{last_year[0]}..{last_year[-1]}"
    records = []
    for period_type, labels, whole in (
        ("month", months, complete),
        ("fiscal_year", fiscal, _complete_groups(days, fiscal_year_of_month)),
        ("trailing_12_months", trailing, sorted(set(trailing) - {""})),
    ):
        for label in whole:
            mask = labels == label
            effect = per_day[:, mask, :].sum(axis=1)  # (draws, channels)
            period_spend = spend_per_day[mask].sum(axis=0)
            average = period_spend / mask.sum()
            step = np.maximum(average * 0.01, 1e-9)
            marginal = (curves.revenue_per_day(average + step) - curves.revenue_per_day(average)) / step
            low, high = interval(effect, level)
            for position, channel in enumerate(channels):
                records.append(
                    {
                        "fit_id": fit_id,
                        "period_type": period_type,
                        "period": label,
                        "channel": channel,
                        "model_spend_rc": float(period_spend[position]),
                        "incremental_revenue_rc": float(effect[:, position].mean()),
                        "incremental_revenue_ci_low_rc": float(low[position]),
                        "incremental_revenue_ci_high_rc": float(high[position]),
                        "marginal_roas": float(marginal[:, position].mean()) if average[position] > 0 else None,
                    }
                )
    return pd.DataFrame(records)


def _complete_months(days: pd.DatetimeIndex) -> list[str]:
    """Months whose every day lies in ``days``."""
    counts = pd.Series(days.strftime("%Y-%m")).value_counts()
    return sorted(month for month, count in counts.items() if count == pd.Timestamp(f"{month}-01").days_in_month)


def _complete_groups(days: pd.DatetimeIndex, group_of_month: Mapping[str, str]) -> list[str]:
    """Fiscal years all of whose months lie completely in ``days``."""
    complete = set(_complete_months(days))
    groups: dict[str, list[str]] = {}
    for month, group in group_of_month.items():
        groups.setdefault(group, []).append(month)
    return sorted(group for group, members in groups.items() if all(month in complete for month in members))


def diagnostics_frame(fit_id: str, input_hash: str, diagnostics: Mapping[str, Any]) -> pd.DataFrame:
    """``incrementality.mmm_fit_diagnostics``: one row for the fit."""
    versions = diagnostics.get("library_versions", {})
    row = {
        "fit_id": fit_id,
        "input_hash": input_hash,
        **{key: value for key, value in diagnostics.items() if key != "library_versions"},
        "library_versions": ", ".join(f"{name} {version}" for name, version in sorted(versions.items())),
    }
    return pd.DataFrame([row])


def lift_test_frame(fit_id: str, lift_tests: pd.DataFrame) -> pd.DataFrame:
    """``incrementality.mmm_lift_test_calibration``: measured vs model-implied, per lift test."""
    return lift_tests.assign(fit_id=fit_id)[["fit_id", *lift_tests.columns]]
