"""The optimiser's result tables (``incrementality.budget_scenarios`` and ``..._summary``): their typed
columns, and every scenario of the config run into their rows.

dbt reads both as sources (``models/staging/optimisation``) and publishes them, with contracts, as
``marts.fct_budget_scenarios`` and ``marts.fct_budget_scenario_summary``. The columns are declared
here so an empty table (no model fitted yet) still has its types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.lib.incrementality.curves import ResponseCurves
from orchestration.lib.optimisation.scenarios import (
    ScenarioResult,
    ScenarioSpec,
    channel_rows,
    run_scenario,
    summary_row,
    window_for,
)

SCHEMA = "incrementality"
SCENARIOS_TABLE = "budget_scenarios"
SUMMARY_TABLE = "budget_scenario_summary"

_INTERVAL = ("", "_ci_low", "_ci_high")

SCENARIO_COLUMNS: tuple[tuple[str, str], ...] = (
    ("scenario", "varchar"),
    ("objective", "varchar"),
    ("channel", "varchar"),
    ("window_start", "date"),
    ("window_end", "date"),
    ("current_spend_rc", "double"),
    ("recommended_spend_rc", "double"),
    ("change_rc", "double"),
    ("change_pct", "double"),
    ("lower_bound_rc", "double"),
    ("upper_bound_rc", "double"),
    ("is_locked", "boolean"),
    *((f"{when}_incremental_{what}{suffix}_rc", "double")
      for what in ("revenue", "margin") for when in ("current", "expected") for suffix in _INTERVAL),
    ("roi_current", "double"),
    ("roi_expected", "double"),
    ("mroas", "double"),
    ("mroi", "double"),
    ("is_extrapolated", "boolean"),
)  # fmt: skip

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("scenario", "varchar"),
    ("objective", "varchar"),
    ("fit_id", "varchar"),
    ("status", "varchar"),
    ("status_message", "varchar"),
    ("window_start", "date"),
    ("window_end", "date"),
    ("interval_level", "double"),
    ("channels", "integer"),
    ("locked_channels", "varchar"),
    ("current_spend_rc", "double"),
    ("recommended_spend_rc", "double"),
    ("spend_change_rc", "double"),
    *((f"{when}_incremental_{what}{suffix}_rc", "double")
      for what in ("revenue", "margin") for when in ("current", "expected") for suffix in _INTERVAL),
    *((f"{what}_uplift{suffix}_rc", "double") for what in ("margin", "net") for suffix in _INTERVAL),
    ("probability_of_improvement", "double"),
    ("roi_current", "double"),
    ("roi_expected", "double"),
    ("budget_efficiency_gain_pct", "double"),
    ("roi_improvement_pct", "double"),
    ("is_extrapolated", "boolean"),
    ("efficiency_target_pct", "double"),
    ("reaches_efficiency_target", "boolean"),
    ("roi_improvement_target_pct", "double"),
    ("reaches_roi_improvement_target", "boolean"),
)  # fmt: skip


def empty_frame(columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name, _ in columns})


def to_frame(rows: list[dict[str, object]], columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Rows as a frame with exactly ``columns`` (missing values null), in that order."""
    if not rows:
        return empty_frame(columns)
    return pd.DataFrame(rows).reindex(columns=[name for name, _ in columns])


@dataclass(frozen=True)
class OptimiserInputs:
    """What the optimiser reads from the warehouse besides the curves."""

    as_of: dt.date
    # Spend per channel per window: ``spend_for(window) -> {channel: spend_rc}``.
    spend_by_window: Mapping[tuple[dt.date, dt.date], Mapping[str, float]]
    margin_ratio_by_window: Mapping[tuple[dt.date, dt.date], float]


def windows_needed(specs: Sequence[ScenarioSpec], as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Each distinct (start, end) window the scenarios cover."""
    windows = {window_for(as_of, spec.window_months, spec.window_end_month) for spec in specs}
    return sorted((window.start, window.end) for window in windows)


def run_all(
    specs: Sequence[ScenarioSpec],
    curves: ResponseCurves,
    inputs: OptimiserInputs,
    level: float,
    seed: int,
) -> list[ScenarioResult]:
    """Every scenario over the model's channels (a channel without spend in a window is held at zero)."""
    results = []
    for spec in specs:
        window = window_for(inputs.as_of, spec.window_months, spec.window_end_month)
        spend = inputs.spend_by_window[(window.start, window.end)]
        current = np.array([float(spend.get(channel, 0.0)) for channel in curves.channels])
        margin_ratio = inputs.margin_ratio_by_window[(window.start, window.end)]
        results.append(run_scenario(spec, curves, window, current, margin_ratio, level, seed))
    return results


def result_frames(
    results: Sequence[ScenarioResult],
    fit_id: str,
    level: float,
    efficiency_target: float = 0.40,
    roi_improvement_target: float = 0.25,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables' frames of ``results``; each summary row says whether it reaches the seed's targets
    (null when the figure cannot be measured)."""
    scenario_rows = [row for result in results for row in channel_rows(result)]
    summary_rows = []
    for result in results:
        row = summary_row(result, fit_id, level)
        efficiency, roi = row.get("budget_efficiency_gain_pct"), row.get("roi_improvement_pct")
        row |= {
            "efficiency_target_pct": efficiency_target,
            "reaches_efficiency_target": None if efficiency is None else efficiency >= efficiency_target,
            "roi_improvement_target_pct": roi_improvement_target,
            "reaches_roi_improvement_target": None if roi is None else roi >= roi_improvement_target,
        }
        summary_rows.append(row)
    return to_frame(scenario_rows, SCENARIO_COLUMNS), to_frame(summary_rows, SUMMARY_COLUMNS)
