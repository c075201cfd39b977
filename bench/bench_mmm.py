"""Time and score the marketing-mix model: samplers, granularity, and the value of the lift tests.

    .venv/bin/python bench/bench_mmm.py samplers [--samplers pymc nutpie numpyro] [--granularity week day]
        2 years x 8 channels of synthetic daily data with planted adstock + Hill curves (seeds/_media.py):
        fit time (wall, and the process's CPU time: what the fit costs however busy the machine is), max
        r_hat, divergences and each channel's error against the planted truth. Chains, draws and tuning
        are the configured ones (config/roi.yml); ``configured`` names the configured sampler or granularity.
    .venv/bin/python bench/bench_mmm.py accuracy --warehouse W --landing L [--granularity week] [--sampler S]
        [--no-lift-tests]
        The model on a built warehouse against the sample's planted truth (``<landing>/_truth``): each
        channel's incremental revenue over the last 12 complete months, and each attribution model's
        attributed revenue over the same months, against the truth.

Prints one line per fit; ``make bench`` runs ``samplers`` with the configured sampler and granularity.
Every fit runs its chains one after the other (``cores=1``), so CPU time is close to the wall time of an
idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestration.lib.incrementality import inputs as mmm_inputs
from orchestration.lib.incrementality import model
from orchestration.lib.settings import IncrementalitySettings, config
from seeds._media import adstock, hill

CHANNELS = ("search", "social", "display", "video", "affiliate", "tv", "audio", "email_ads")
# (mean daily spend, alpha, slope, kappa / mean, roas at mean)
PLANTED = {
    "search": (7000, 0.2, 1.2, 1.0, 2.0),
    "social": (4000, 0.4, 1.5, 1.2, 1.8),
    "display": (1200, 0.3, 2.0, 1.3, 1.2),
    "video": (1000, 0.6, 1.6, 1.0, 2.5),
    "affiliate": (500, 0.1, 1.0, 2.0, 3.0),
    "tv": (3000, 0.7, 1.3, 1.0, 1.5),
    "audio": (800, 0.5, 1.4, 1.1, 1.6),
    "email_ads": (600, 0.2, 1.1, 1.5, 2.2),
}


def synthetic(days: int = 731, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily revenue and spend for 8 channels, and the planted incremental revenue per day and channel."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    weeks = np.arange(days) // 7
    spend, effect = {}, {}
    for channel, (mean, alpha, slope, kappa_ratio, roas) in PLANTED.items():
        level = rng.choice((0.15, 0.7, 1.0, 1.0, 1.4, 1.9), size=weeks.max() + 1)[weeks]
        series = mean * level * rng.lognormal(0, 0.12, days)
        kappa = kappa_ratio * mean
        beta = roas * mean * (mean**slope + kappa**slope) / mean**slope
        spend[channel] = series
        effect[channel] = hill(adstock(series, alpha), beta, kappa, slope)
    t = np.arange(days) / 365.25
    baseline = 30_000 * (1 + 0.1 * t) * (1 + 0.08 * np.cos(2 * np.pi * (dates.day_of_year - 330) / 365.25))
    revenue = baseline + sum(effect.values())
    revenue = revenue * (1 + rng.normal(0, 0.01, days))
    frame = pd.DataFrame({"period_start": dates, "revenue_rc": revenue, **spend})
    return frame, pd.DataFrame(effect, index=dates)


def to_inputs(daily: pd.DataFrame, granularity: str) -> mmm_inputs.MmmInputs:
    if granularity == "week":
        weekly = daily.groupby(daily["period_start"].dt.to_period("W-SUN").dt.start_time).sum(numeric_only=True)
        weekly = weekly.iloc[: len(weekly) - (1 if len(daily) % 7 else 0)]
        frame = weekly.reset_index().rename(columns={"index": "period_start"})
    else:
        frame = daily
    return mmm_inputs.MmmInputs(granularity, frame, CHANNELS, pd.DataFrame(columns=mmm_inputs.LIFT_COLUMNS))


def last_months_by_channel(outcome: model.FitOutcome, period_days: int, months: list[str]) -> np.ndarray:
    """Incremental revenue draws (draws, channels) over ``months``, a period's effect spread over its days."""
    days = pd.date_range(outcome.period_start[0], outcome.period_start[-1] + pd.Timedelta(days=period_days - 1))
    per_day = np.repeat(outcome.contributions / period_days, period_days, axis=1)
    mask = np.isin(np.asarray(days.strftime("%Y-%m")), months)
    return per_day[:, mask, :].sum(axis=1)


def samplers(args: argparse.Namespace) -> None:
    daily, truth = synthetic()
    months = sorted(set(daily["period_start"].dt.strftime("%Y-%m")))[-13:-1]
    configured = config().incrementality
    for granularity in [configured.granularity if g == "configured" else g for g in args.granularity]:
        data = to_inputs(daily, granularity)
        for sampler in [configured.sampler if s == "configured" else s for s in args.samplers]:
            settings = IncrementalitySettings.model_validate(
                {**configured.model_dump(), "granularity": granularity, "sampler": sampler, "holdout_weeks": 0}
            )
            started, cpu_started = time.perf_counter(), time.process_time()
            outcome = model.fit(data, settings, use_lift_tests=False)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
            estimate = last_months_by_channel(outcome, data.period_days, months).mean(axis=0)
            planted = truth[truth.index.strftime("%Y-%m").isin(months)].sum()
            errors = {c: estimate[i] / planted[c] - 1 for i, c in enumerate(outcome.channels)}
            d = outcome.diagnostics
            print(
                f"{granularity:4s} {sampler:8s} rows {len(data.frame):4d} channels {len(outcome.channels)} "
                f"chains {settings.chains} x {settings.draws} draws (+{settings.tune} tune)  "
                f"fit {seconds:6.1f} s wall, {cpu_seconds:6.1f} s CPU  "
                f"max r_hat {d['max_r_hat']:.4f}  divergences {d['divergences']:3d}  "
                f"min ESS {d['min_ess_bulk']:.0f}  max |error| {max(abs(e) for e in errors.values()):.1%}  "
                + " ".join(f"{c} {e:+.1%}" for c, e in errors.items()),
                flush=True,
            )


def accuracy(args: argparse.Namespace) -> None:
    truth_dir = Path(args.landing) / "_truth"
    truth = pd.read_csv(truth_dir / "incremental_revenue_by_channel_month.csv")
    manifest = json.loads((truth_dir / "manifest.json").read_text())
    months = sorted(m for m in manifest["closed_months"])[-12:]
    planted = truth[truth["period"].isin(months)].groupby("channel")["incremental_revenue_rc"].sum()
    with duckdb.connect(args.warehouse, read_only=True) as connection:
        attributed = connection.execute(
            "select attribution_model, channel, sum(attributed_revenue_rc) from marts.fct_roi_by_channel "
            "where list_contains(?, period) group by all",
            [months],
        ).df()
        settings = config().incrementality
        data = mmm_inputs.read_inputs(connection, args.granularity, settings.conversion_types)
    sampler = args.sampler or settings.sampler
    settings = settings.model_copy(update={"granularity": args.granularity, "sampler": sampler})
    started, cpu_started = time.perf_counter(), time.process_time()
    outcome = model.fit(data, settings, use_lift_tests=not args.no_lift_tests)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    draws = last_months_by_channel(outcome, data.period_days, months)
    low, high = np.quantile(draws, [0.05, 0.95], axis=0)
    d = outcome.diagnostics
    label = f"MMM {args.granularity} {'without' if args.no_lift_tests else 'with'} lift tests"
    print(
        f"{label} ({sampler}, {settings.chains} x {settings.draws} draws): fit {seconds:.0f} s wall, "
        f"{cpu_seconds:.0f} s CPU, max r_hat {d['max_r_hat']:.4f}, divergences {d['divergences']}, "
        f"holdout MAPE {d['mape_holdout']:.1%}; months {months[0]}..{months[-1]}"
    )
    covered = 0
    for index, channel in enumerate(outcome.channels):
        true = float(planted.get(channel, 0.0))
        mean = float(draws[:, index].mean())
        inside = bool(low[index] <= true <= high[index])
        covered += inside
        print(
            f"  {channel:12s} truth {true:12,.0f}  MMM {mean:12,.0f}  error {mean / true - 1:+7.1%}  "
            f"90% [{low[index]:,.0f}, {high[index]:,.0f}] covers {inside}"
        )
    print(f"  interval covers the truth for {covered}/{len(outcome.channels)} channels")
    for attribution_model, rows in attributed.groupby("attribution_model"):
        errors = []
        for channel in outcome.channels:
            value = rows.loc[rows["channel"] == channel].iloc[:, 2].sum()
            errors.append(f"{channel} {value / float(planted[channel]) - 1:+.0%}")
        print(f"  attribution {attribution_model:15s} " + "  ".join(errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    timing = sub.add_parser("samplers")
    timing.add_argument("--samplers", nargs="+", default=["pymc", "nutpie", "numpyro"])
    timing.add_argument("--granularity", nargs="+", default=["week", "day"])
    scoring = sub.add_parser("accuracy")
    scoring.add_argument("--warehouse", required=True)
    scoring.add_argument("--landing", required=True)
    scoring.add_argument("--granularity", default="week", choices=["week", "day"])
    scoring.add_argument("--sampler", choices=["pymc", "nutpie", "numpyro"], help="default: the configured one")
    scoring.add_argument("--no-lift-tests", action="store_true")
    args = parser.parse_args()
    samplers(args) if args.command == "samplers" else accuracy(args)


if __name__ == "__main__":
    main()
