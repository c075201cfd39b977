"""Steady-state response curves: what a channel earns per day at a constant daily spend.

This is the one interface between the marketing-mix model (which fits the curves) and
everything that reads them (response-curve marts, the budget optimiser, reports). It also
describes the planted truth of the generated sample (``_truth/media_response.json``), so the
optimiser can be scored against the true curves with the same code.

With a *normalised* adstock (its weights sum to 1), a spend held at ``x`` per day has an
adstocked level of ``x``, so the steady-state incremental revenue per day is the saturation
curve itself:

* ``hill``:     ``beta * x**slope / (x**slope + kappa**slope)`` (``kappa``: the daily spend at
  half of ``beta``; S-shaped when ``slope > 1``);
* ``logistic``: ``beta * (1 - exp(-lam * x)) / (1 + exp(-lam * x))``.

Every parameter array has one row per posterior draw and one column per channel, in the
reporting currency and in *days* (a weekly model converts: ``r_day(x) = r_week(7 x) / 7``).
A point estimate (or the planted truth) is one draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

Saturation = Literal["hill", "logistic"]
PARAMETERS: Mapping[Saturation, tuple[str, ...]] = {"hill": ("beta", "kappa", "slope"), "logistic": ("beta", "lam")}


@dataclass(frozen=True)
class ResponseCurves:
    """Per-draw, per-channel steady-state response curves in reporting currency per day."""

    channels: tuple[str, ...]
    saturation: Saturation
    params: Mapping[str, np.ndarray]
    """Each ``(draws, channels)``: see the module docstring for the names per saturation."""
    observed_max_daily_spend_rc: np.ndarray = field(default_factory=lambda: np.empty(0))
    """Highest daily spend (per channel, adstocked level at the fit's granularity) seen in the data:
    a spend above it reads an extrapolated part of the curve. Empty: unknown (nothing is flagged)."""

    def __post_init__(self) -> None:
        expected = PARAMETERS[self.saturation]
        if set(self.params) != set(expected):
            raise ValueError(f"{self.saturation} curves take parameters {expected}, got {tuple(self.params)}")
        shapes = {np.shape(self.params[name]) for name in expected}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2 or next(iter(shapes))[1] != len(self.channels):
            raise ValueError(f"parameters must all be (draws, {len(self.channels)}) arrays, got shapes {shapes}")
        if self.observed_max_daily_spend_rc.size not in (0, len(self.channels)):
            raise ValueError("observed_max_daily_spend_rc needs one value per channel")

    @property
    def draws(self) -> int:
        return int(np.shape(self.params[PARAMETERS[self.saturation][0]])[0])

    def revenue_per_day(self, daily_spend_rc: np.ndarray) -> np.ndarray:
        """Incremental revenue per day, ``(draws, channels)``, at ``daily_spend_rc`` (``(channels,)``
        or ``(draws, channels)``)."""
        x = np.maximum(np.asarray(daily_spend_rc, dtype=float), 0.0)
        p = self.params
        if self.saturation == "hill":
            slope, kappa = p["slope"], p["kappa"]
            ratio = np.power(x, slope)
            return p["beta"] * ratio / (ratio + np.power(kappa, slope))
        decay = np.exp(-p["lam"] * x)
        return p["beta"] * (1.0 - decay) / (1.0 + decay)

    def marginal_revenue_per_day(self, daily_spend_rc: np.ndarray) -> np.ndarray:
        """d revenue / d spend, ``(draws, channels)``: the marginal ROAS at ``daily_spend_rc``."""
        x = np.maximum(np.asarray(daily_spend_rc, dtype=float), 0.0)
        p = self.params
        if self.saturation == "hill":
            slope, kappa = p["slope"], p["kappa"]
            with np.errstate(divide="ignore", invalid="ignore"):
                xs, ks = np.power(x, slope), np.power(kappa, slope)
                derivative = p["beta"] * slope * np.power(x, slope - 1.0) * ks / np.square(xs + ks)
            at_zero = np.where(slope > 1, 0.0, np.where(slope == 1, p["beta"] / kappa, np.inf))
            return np.where(x > 0, derivative, at_zero)
        decay = np.exp(-p["lam"] * x)
        return p["beta"] * 2.0 * p["lam"] * decay / np.square(1.0 + decay)

    def is_extrapolated(self, daily_spend_rc: np.ndarray) -> np.ndarray:
        """Per channel: does ``daily_spend_rc`` lie beyond the highest spend observed?"""
        spend = np.asarray(daily_spend_rc, dtype=float)
        if self.observed_max_daily_spend_rc.size == 0:
            return np.zeros(len(self.channels), dtype=bool)
        return spend > self.observed_max_daily_spend_rc * (1 + 1e-9)

    def subset(self, channels: tuple[str, ...]) -> ResponseCurves:
        """The same curves for ``channels`` only (in that order)."""
        index = [self.channels.index(channel) for channel in channels]
        observed = self.observed_max_daily_spend_rc
        return ResponseCurves(
            channels=channels,
            saturation=self.saturation,
            params={name: np.asarray(values)[:, index] for name, values in self.params.items()},
            observed_max_daily_spend_rc=observed[index] if observed.size else observed,
        )


CURVE_DRAW_COLUMNS = (
    "fit_id",
    "channel",
    "draw",
    "saturation",
    "beta",
    "kappa",
    "slope",
    "lam",
    "observed_max_daily_spend_rc",
)
"""The columns of ``incrementality.mmm_curve_draws``: one row per (channel, posterior draw) of a fit."""


def curves_from_frame(frame: pd.DataFrame) -> ResponseCurves:
    """The curves of one fit from its ``incrementality.mmm_curve_draws`` rows.

    Channels come out sorted by name, draws by number; every channel must have the same draws, one
    saturation and a value for each of its parameters (the other parameters' columns are null)."""
    missing = set(CURVE_DRAW_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"curve draws lack the columns {sorted(missing)}")
    if frame.empty:
        raise ValueError("no curve draws")
    if frame["fit_id"].nunique() != 1:
        raise ValueError(f"curve draws of one fit expected, got fits {sorted(frame['fit_id'].unique())}")
    saturations = frame["saturation"].unique()
    if len(saturations) != 1 or saturations[0] not in PARAMETERS:
        raise ValueError(f"one saturation ('hill' or 'logistic') expected, got {list(saturations)}")
    saturation: Saturation = saturations[0]
    if frame.duplicated(["channel", "draw"]).any():
        raise ValueError("more than one row for a (channel, draw)")
    channels = tuple(sorted(frame["channel"].unique()))
    params = {}
    for name in PARAMETERS[saturation]:
        table = frame.pivot(index="draw", columns="channel", values=name).sort_index().reindex(columns=list(channels))
        values = table.to_numpy(dtype=float)
        if np.isnan(values).any():
            raise ValueError(
                f"{saturation} parameter {name} is missing for some (channel, draw): every channel needs every draw"
            )
        params[name] = values
    observed = frame.groupby("channel")["observed_max_daily_spend_rc"].max().reindex(list(channels))
    observed_values = observed.to_numpy(dtype=float)
    return ResponseCurves(
        channels=channels,
        saturation=saturation,
        params=params,
        observed_max_daily_spend_rc=np.empty(0) if np.isnan(observed_values).any() else observed_values,
    )


def curves_from_truth(truth: Mapping[str, Any]) -> ResponseCurves:
    """The generator's planted curves (``_truth/media_response.json``) as one draw."""
    saturation: Saturation = truth["saturation"]
    if saturation not in PARAMETERS:
        raise ValueError(f"unknown saturation {saturation!r}")
    channels = tuple(sorted(truth["channels"]))
    params = {
        name: np.array([[float(truth["channels"][channel][name]) for channel in channels]])
        for name in PARAMETERS[saturation]
    }
    return ResponseCurves(channels=channels, saturation=saturation, params=params)
