"""The marketing-mix model: PyMC-Marketing's ``MMM`` on the warehouse's channel x period aggregates.

The project writes the glue only: controls (trend, events, weekday when daily), priors from the
config, lift tests in per-period units, the fit itself, and the conversion of the posterior into what
the marts read: steady-state daily response curves in the reporting currency (``curves.py``),
per-period channel contributions per draw, fit diagnostics and each lift test's model-implied value.

PyMC-Marketing scales every channel by its maximum and revenue by its maximum over the fit window, so
a saturation parameter read off the posterior is in those units; ``daily_curve_parameters`` turns it
back (``r_day(x) = r_period(period_days * x) / period_days``).
"""

from __future__ import annotations

import importlib.metadata
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from orchestration.lib.incrementality.curves import PARAMETERS, ResponseCurves
from orchestration.lib.incrementality.inputs import MmmInputs, lift_tests_per_period

LIBRARIES = ("pymc-marketing", "pymc", "pytensor", "arviz", "nutpie", "numpyro")


@dataclass(frozen=True)
class FitOutcome:
    """Everything a fit leaves for the tables (all money in the reporting currency)."""

    channels: tuple[str, ...]
    period_start: pd.DatetimeIndex  # every period of the window (holdout included)
    contributions: np.ndarray  # (draws, periods, channels): incremental revenue per period
    curves: ResponseCurves  # steady-state, per day
    diagnostics: dict[str, Any]
    lift_tests: pd.DataFrame  # measured vs model-implied, per test
    idata: Any  # the ArviZ DataTree of the fit


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def controls(inputs: MmmInputs, events: Mapping[str, tuple[str, ...]]) -> pd.DataFrame:
    """Trend (0 at the first period, 1 at the last), a 0/1 column per event, weekday dummies when daily."""
    starts = pd.to_datetime(inputs.frame["period_start"])
    count = len(starts)
    frame = pd.DataFrame({"trend": np.arange(count) / max(count - 1, 1)})
    for name, dates in sorted(events.items()):
        days = pd.to_datetime(list(dates))
        hit = np.zeros(count)
        for day in days:
            hit += ((starts <= day) & (day < starts + pd.Timedelta(days=inputs.period_days))).to_numpy()
        if hit.any():
            frame[f"event_{name}"] = np.minimum(hit, 1.0)
    if inputs.granularity == "day":
        for weekday in range(1, 7):
            frame[f"weekday_{weekday}"] = (starts.dt.weekday == weekday).astype(float).to_numpy()
    return frame


def build_mmm(inputs: MmmInputs, settings: Any, control_columns: list[str]) -> Any:
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import MMM, GeometricAdstock, HillSaturation, LogisticSaturation

    priors = settings.priors
    lags = max(1, math.ceil(settings.adstock_max_lag_days / inputs.period_days))
    adstock = GeometricAdstock(
        l_max=lags,
        normalize=True,
        priors={
            "alpha": Prior(
                "Beta", alpha=priors.adstock_alpha_beta[0], beta=priors.adstock_alpha_beta[1], dims="channel"
            )
        },
    )
    beta = Prior("HalfNormal", sigma=priors.saturation_beta_sigma, dims="channel")
    if settings.saturation == "hill":
        saturation = HillSaturation(
            priors={
                "beta": beta,
                "kappa": Prior("HalfNormal", sigma=priors.hill_kappa_sigma, dims="channel"),
                "slope": Prior(
                    "Gamma", alpha=priors.hill_slope_alpha_beta[0], beta=priors.hill_slope_alpha_beta[1], dims="channel"
                ),
            }
        )
    else:
        lam = Prior(
            "Gamma", alpha=priors.logistic_lam_alpha_beta[0], beta=priors.logistic_lam_alpha_beta[1], dims="channel"
        )
        saturation = LogisticSaturation(priors={"beta": beta, "lam": lam})
    return MMM(
        date_column="period_start",
        channel_columns=list(inputs.channels),
        target_column="revenue_rc",
        adstock=adstock,
        saturation=saturation,
        control_columns=control_columns or None,
        yearly_seasonality=settings.yearly_fourier_terms or None,
        model_config={
            "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=priors.noise_sigma), dims="date"),
        },
    )


def fit(inputs: MmmInputs, settings: Any, *, use_lift_tests: bool | None = None) -> FitOutcome:
    """Fit on every period but the held-out final weeks; contributions cover the whole window."""
    started = time.perf_counter()
    use_lift_tests = settings.use_lift_tests if use_lift_tests is None else use_lift_tests
    extra = controls(inputs, settings.events)
    data = pd.concat([inputs.frame.reset_index(drop=True), extra], axis=1)
    holdout = round(settings.holdout_weeks * 7 / inputs.period_days)
    train = data.iloc[: len(data) - holdout] if holdout else data
    x_columns = ["period_start", *inputs.channels, *extra.columns]
    mmm = build_mmm(inputs, settings, list(extra.columns))
    mmm.build_model(train[x_columns], train["revenue_rc"])
    lifts = lift_tests_per_period(inputs.lift_tests, inputs.period_days, inputs.channels) if use_lift_tests else None
    if lifts is not None and len(lifts):
        mmm.add_lift_test_measurements(lifts[["channel", "x", "delta_x", "delta_y", "sigma"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = mmm.fit(
            train[x_columns],
            train["revenue_rc"],
            progressbar=False,
            random_seed=settings.random_seed,
            chains=settings.chains,
            cores=1,
            draws=settings.draws,
            tune=settings.tune,
            target_accept=settings.target_accept,
            nuts_sampler=settings.sampler,
        )
    fit_seconds = time.perf_counter() - started
    curves_period, channel_scale, target_scale = period_curves(idata, mmm, inputs.channels, settings.saturation)
    alpha = _draws(idata, "adstock_alpha", inputs.channels)
    spend = data[list(inputs.channels)].to_numpy(dtype=float)
    contributions = contributions_per_period(
        spend, alpha, mmm.adstock.l_max, curves_period, channel_scale, target_scale, settings.saturation
    )
    predicted = predict_revenue(mmm, data[x_columns], train[x_columns], holdout)
    diagnostics = fit_diagnostics(idata, inputs, data, predicted, train_rows=len(train), fit_seconds=fit_seconds)
    diagnostics["lift_tests_used"] = 0 if lifts is None else len(lifts)
    adstocked_mean = geometric_adstock(spend, alpha.mean(axis=0, keepdims=True), mmm.adstock.l_max)[0]
    daily = ResponseCurves(
        channels=inputs.channels,
        saturation=settings.saturation,
        params=daily_curve_parameters(
            curves_period, settings.saturation, channel_scale, target_scale, inputs.period_days
        ),
        observed_max_daily_spend_rc=adstocked_mean.max(axis=0) / inputs.period_days,
    )
    lift_table = lift_test_agreement(inputs, contributions, data["period_start"])
    return FitOutcome(
        inputs.channels,
        pd.DatetimeIndex(data["period_start"]),
        contributions,
        daily,
        diagnostics,
        lift_table,
        idata,
    )


def _draws(idata: Any, name: str, channels: tuple[str, ...]) -> np.ndarray:
    """A per-channel posterior variable as (draws, channels), chains stacked."""
    values = idata.posterior[name].transpose("chain", "draw", "channel").sel(channel=list(channels)).to_numpy()
    return values.reshape(-1, values.shape[-1])


def period_curves(
    idata: Any, mmm: Any, channels: tuple[str, ...], saturation: str
) -> tuple[dict[str, np.ndarray], np.ndarray, float]:
    """The posterior saturation parameters in PyMC-Marketing's scaled units, and the two scales."""
    scales = mmm.get_scales_as_xarray()
    channel_scale = scales["channel_scale"].sel(channel=list(channels)).to_numpy().astype(float).reshape(-1)
    target_scale = float(np.asarray(scales["target_scale"]).reshape(-1)[0])
    params = {name: _draws(idata, f"saturation_{name}", channels) for name in PARAMETERS[saturation]}
    return params, channel_scale, target_scale


def daily_curve_parameters(
    scaled: Mapping[str, np.ndarray], saturation: str, channel_scale: np.ndarray, target_scale: float, period_days: int
) -> dict[str, np.ndarray]:
    """Scaled per-period parameters -> per-day parameters in the reporting currency.

    With ``X`` the spend per period and ``c`` its scale, the model's revenue per period is
    ``T * beta * f(X / c)``; at a constant daily spend ``x`` (``X = d x``) the revenue per day is
    ``T * beta / d * f(d x / c)``: Hill ``kappa_day = kappa * c / d``, logistic ``lam_day = lam * d / c``.
    """
    beta = np.asarray(scaled["beta"]) * target_scale / period_days
    if saturation == "hill":
        kappa = np.asarray(scaled["kappa"]) * channel_scale / period_days
        return {"beta": beta, "kappa": kappa, "slope": np.asarray(scaled["slope"])}
    return {"beta": beta, "lam": np.asarray(scaled["lam"]) * period_days / channel_scale}


def geometric_adstock(spend: np.ndarray, alpha: np.ndarray, l_max: int) -> np.ndarray:
    """Normalised geometric adstock of ``spend`` (periods, channels) for each draw of ``alpha`` (draws, channels).

    Matches PyMC-Marketing's ``GeometricAdstock(normalize=True)``: periods before the first count as 0.
    """
    lags = np.arange(l_max)
    weights = np.power(alpha[:, None, :], lags[None, :, None])  # (draws, lags, channels)
    weights = weights / weights.sum(axis=1, keepdims=True)
    periods = spend.shape[0]
    out = np.zeros((alpha.shape[0], periods, spend.shape[1]))
    for lag in lags:
        shifted = np.zeros_like(spend)
        shifted[lag:] = spend[: periods - lag] if lag else spend
        out += weights[:, lag : lag + 1, :] * shifted[None, :, :]
    return out


def saturate(x: np.ndarray, params: Mapping[str, np.ndarray], saturation: str) -> np.ndarray:
    """The saturation function on scaled, adstocked media ``x`` (draws, periods, channels)."""
    if saturation == "hill":
        slope, kappa = params["slope"][:, None, :], params["kappa"][:, None, :]
        ratio = np.power(np.maximum(x, 0.0), slope)
        return params["beta"][:, None, :] * ratio / (ratio + np.power(kappa, slope))
    decay = np.exp(-params["lam"][:, None, :] * x)
    return params["beta"][:, None, :] * (1.0 - decay) / (1.0 + decay)


def contributions_per_period(
    spend: np.ndarray,
    alpha: np.ndarray,
    l_max: int,
    scaled_params: Mapping[str, np.ndarray],
    channel_scale: np.ndarray,
    target_scale: float,
    saturation: str,
) -> np.ndarray:
    """Incremental revenue per period (draws, periods, channels) in the reporting currency."""
    adstocked = geometric_adstock(spend / channel_scale, alpha, l_max)
    return saturate(adstocked, scaled_params, saturation) * target_scale


def predict_revenue(mmm: Any, data: pd.DataFrame, train: pd.DataFrame, holdout: int) -> np.ndarray:
    """Posterior-mean revenue per period: in sample, then the held-out periods carried on from the last ones."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = mmm.sample_posterior_predictive(train, extend_idata=False, progressbar=False, random_seed=1)
        parts = [_mean_prediction(fitted, mmm)]
        if holdout:
            future = data.iloc[len(train) :]
            predicted = mmm.sample_posterior_predictive(
                future, extend_idata=False, include_last_observations=True, progressbar=False, random_seed=2
            )
            parts.append(_mean_prediction(predicted, mmm)[-holdout:])
    return np.concatenate(parts)


def _mean_prediction(samples: Any, mmm: Any) -> np.ndarray:
    name = "y_original_scale" if "y_original_scale" in samples else "y"
    values = samples[name]
    mean = values.mean(dim=[dim for dim in values.dims if dim not in ("date",)]).to_numpy()
    if name == "y":
        scales = mmm.get_scales_as_xarray()
        mean = mean * float(np.asarray(scales["target_scale"]).reshape(-1)[0])
    return mean


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    if len(actual) == 0:
        return None
    return float(np.mean(np.abs(predicted - actual) / np.maximum(np.abs(actual), 1e-9)))


def fit_diagnostics(
    idata: Any, inputs: MmmInputs, data: pd.DataFrame, predicted: np.ndarray, *, train_rows: int, fit_seconds: float
) -> dict[str, Any]:
    import arviz as az

    posterior = idata.posterior.to_dataset() if hasattr(idata.posterior, "to_dataset") else idata.posterior
    names = [name for name in posterior.data_vars if "date" not in posterior[name].dims]
    summary = az.summary(posterior[names], kind="diagnostics")
    divergences = int(np.asarray(idata.sample_stats["diverging"]).sum())
    actual = data["revenue_rc"].to_numpy(dtype=float)
    in_sample, holdout = actual[:train_rows], actual[train_rows:]
    residual = in_sample - predicted[:train_rows]
    r_squared = 1.0 - float(np.sum(residual**2) / np.sum((in_sample - in_sample.mean()) ** 2))
    return {
        "granularity": inputs.granularity,
        "window_start": pd.Timestamp(data["period_start"].iloc[0]).date(),
        "window_end": (pd.Timestamp(data["period_start"].iloc[-1]) + pd.Timedelta(days=inputs.period_days - 1)).date(),
        "rows": len(data),
        "train_rows": train_rows,
        "holdout_rows": len(data) - train_rows,
        "channels": len(inputs.channels),
        "r_squared": r_squared,
        "mape_in_sample": _mape(in_sample, predicted[:train_rows]),
        "mape_holdout": _mape(holdout, predicted[train_rows:]),
        "max_r_hat": float(np.nanmax(summary["r_hat"].to_numpy())),
        "min_ess_bulk": float(np.nanmin(summary["ess_bulk"].to_numpy())),
        "divergences": divergences,
        "fit_seconds": round(fit_seconds, 2),
        "library_versions": library_versions(),
    }


def lift_test_agreement(inputs: MmmInputs, contributions: np.ndarray, period_start: pd.Series) -> pd.DataFrame:
    """Each lift test's measured incremental revenue against the model's over the same days.

    The model's value is the channel's contribution summed over the periods the window covers (a
    period partly covered counts by its share of days); its interval is the 5-95 % of the draws,
    and ``z = (model - measured) / sqrt(se_measured^2 + sd_model^2)``.
    """
    columns = [
        "lift_test_id",
        "channel",
        "start_date",
        "end_date",
        "spend_rc",
        "measured_incremental_revenue_rc",
        "measured_ci_low_rc",
        "measured_ci_high_rc",
        "model_incremental_revenue_rc",
        "model_ci_low_rc",
        "model_ci_high_rc",
        "z_score",
    ]
    rows = []
    starts = pd.to_datetime(period_start).to_numpy()
    for test in inputs.lift_tests.itertuples(index=False):
        if test.channel not in inputs.channels:
            continue
        share = period_overlap(starts, inputs.period_days, pd.Timestamp(test.start_date), pd.Timestamp(test.end_date))
        if share.sum() == 0:
            continue
        index = inputs.channels.index(test.channel)
        model = (contributions[:, :, index] * share[None, :]).sum(axis=1)
        measured = float(test.incremental_revenue_rc)
        se = (float(test.incremental_revenue_ci_high_rc) - float(test.incremental_revenue_ci_low_rc)) / 3.92
        z = (float(model.mean()) - measured) / math.sqrt(se**2 + float(model.std()) ** 2)
        rows.append(
            [
                test.lift_test_id,
                test.channel,
                test.start_date,
                test.end_date,
                float(test.spend_rc),
                measured,
                float(test.incremental_revenue_ci_low_rc),
                float(test.incremental_revenue_ci_high_rc),
                float(model.mean()),
                float(np.quantile(model, 0.05)),
                float(np.quantile(model, 0.95)),
                z,
            ]
        )
    return pd.DataFrame(rows, columns=columns)


def period_overlap(starts: np.ndarray, period_days: int, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    """Share of each period's days that fall in ``first..last``."""
    period_first = pd.to_datetime(starts)
    period_last = period_first + pd.Timedelta(days=period_days - 1)
    overlap_first = np.maximum(period_first, first)
    overlap_last = np.minimum(period_last, last)
    days = (overlap_last - overlap_first).days.to_numpy() + 1
    return np.clip(days, 0, period_days) / period_days
