"""The planted media response: how each channel's spend causes revenue, and the revenue it becomes.

Spend varies by a deterministic weekly media plan per channel (budget changes, flights, on/off weeks),
so each channel's effect can be identified; ``display`` and ``video`` follow one shared plan (they are
bought together), so only a lift test can tell them apart. Each channel's daily spend in the reporting
currency goes through a normalised geometric adstock (weights ``alpha**l / sum(alpha**l)``,
``l < L_MAX_DAYS``) and a Hill curve ``beta * x**slope / (x**slope + kappa**slope)``: a constant daily
spend ``x`` earns exactly that per day at steady state (``orchestration.lib.incrementality.curves``).

Daily revenue = baseline (trend x yearly season x weekday) + organic demand + the channel responses +
noise, realised as the conversions' revenue: each UTC day's target is shared among that day's
conversions (the organic part only among those whose converting touch is brand search or display, so
attribution credits those channels with demand they did not cause), and a day without any conversion
gets an offline order without a journey.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seeds._io import fixed, padded
from seeds._world import CAMPAIGNS, Calendar

DAY = 86_400
L_MAX_DAYS = 14
MEDIA_CHANNELS: tuple[str, ...] = ("paid_search", "paid_social", "display", "video", "affiliate", "offline")
# Channels bought together: one weekly plan drives both.
PLAN_OF = {"video": "display"}
# The plan's average level per channel (the affiliate programme runs at twice its campaigns' typical day).
PLAN_LEVEL = {"affiliate": 2.0}


@dataclass(frozen=True)
class ChannelResponse:
    """Adstock decay, Hill exponent, and kappa / beta relative to the channel's average daily spend."""

    alpha: float
    slope: float
    kappa_per_mean_spend: float  # daily spend at half saturation, as a multiple of the average day
    roas_at_mean_spend: float  # incremental revenue / spend at a constant average day


# Where each channel's spend sits on its curve: the plan is clearly misallocated, as real budgets are. Brand
# search (the largest budget) and TV are bought past saturation (half saturation at 0.6x and 0.25x their
# average day: the next unit of spend returns about 0.8x and 0.2x its cost); social, video and the
# affiliate programme are starved (half saturation at 1.5-5x their average day: the next unit returns
# 2.6-3.2x); display sits in between. Under 0.3x-3x bounds the true optimum earns about a quarter more
# incremental revenue from the same money, or today's with about a fifth less. Deeper saturation of brand
# search would promise more but biases the model's estimate of it (its effect blurs into the baseline). The
# weekly plan still moves every channel's spend (paused to boosted weeks), so each curve stays identifiable.
RESPONSE: Mapping[str, ChannelResponse] = {
    "paid_search": ChannelResponse(alpha=0.2, slope=1.2, kappa_per_mean_spend=0.6, roas_at_mean_spend=1.6),
    "paid_social": ChannelResponse(alpha=0.4, slope=1.5, kappa_per_mean_spend=2.5, roas_at_mean_spend=2.2),
    "display": ChannelResponse(alpha=0.3, slope=2.0, kappa_per_mean_spend=1.3, roas_at_mean_spend=1.2),
    "video": ChannelResponse(alpha=0.6, slope=1.6, kappa_per_mean_spend=1.5, roas_at_mean_spend=2.8),
    "affiliate": ChannelResponse(alpha=0.1, slope=1.0, kappa_per_mean_spend=5.0, roas_at_mean_spend=4.0),
    "offline": ChannelResponse(alpha=0.7, slope=1.3, kappa_per_mean_spend=0.25, roas_at_mean_spend=0.8),
}

# Revenue without media, reporting currency per day at the start, and its shape.
BASELINE_PER_DAY = 30_000.0
BASELINE_TREND_PER_YEAR = 0.10
BASELINE_WEEKDAY = (1.04, 1.06, 1.05, 1.02, 0.98, 0.92, 0.93)  # Monday first
BASELINE_SEASON_AMPLITUDE = 0.08  # yearly cosine, peak in late November
ORGANIC_CAUGHT_PER_DAY = 6_000.0  # demand brand search clicks and display impressions catch
NOISE_SHARE = 0.006  # sd of the daily noise, as a share of the day's expected revenue
CAUGHT_BY = ("paid_search", "display")


def weekly_plan(channel: str, days: np.ndarray, calendar: Calendar) -> np.ndarray:
    """The media plan's multiplier of ``channel``'s spend on each of ``days`` (deterministic, mean ~1).

    Budget levels change every quarter, and weeks are boosted, normal or paused at random (a fixed
    pattern per plan, not drawn from the sample's seed, so budgets can plan with it).
    """
    plan = PLAN_OF.get(channel, channel)
    if plan not in MEDIA_CHANNELS:
        return np.ones(len(days))
    weeks = ((days - np.datetime64(calendar.start, "D")).astype(np.int64) // 7).astype(np.int64)
    count = int(weeks.max(initial=0)) + 1
    rng = np.random.default_rng(zlib.crc32(plan.encode()))
    quarter_level = rng.choice((0.6, 0.8, 1.0, 1.25, 1.5), size=count // 13 + 1)
    week_kind = rng.choice((0.15, 0.7, 1.0, 1.0, 1.4, 1.9), size=count)
    if plan in PLAN_OF.values():  # a shared plan swings wider: the channels on it move together (r >= 0.9)
        week_kind = week_kind**2
    return PLAN_LEVEL.get(channel, 1.0) * quarter_level[weeks // 13] * week_kind[weeks]


def channel_of_campaigns() -> dict[str, str]:
    """Every campaign's channel, the planted unbudgeted one included: its spend moves revenue like any other."""
    from seeds._authorisation import PLANTED_CAMPAIGNS  # _authorisation builds on _spend, which imports this module

    return {campaign.campaign_id: campaign.channel for campaign in (*CAMPAIGNS, *PLANTED_CAMPAIGNS)}


def daily_spend_rc(final: pd.DataFrame, rate_rc: Mapping[str, np.ndarray], days: np.ndarray) -> pd.DataFrame:
    """Spend per day (rows, ``days``) and media channel (columns) in the reporting currency.

    ``rate_rc[currency][i]``: reporting currency per unit on ``days[i]`` (the as-of rate the warehouse uses).
    """
    channels = final["campaign_id"].map(channel_of_campaigns())
    amount = final["units"].to_numpy(dtype=float) / np.power(10.0, final["scale"].to_numpy(dtype=float))
    index = (final["date"].to_numpy().astype("datetime64[D]") - days[0]).astype(np.int64)
    rate = np.empty(len(final))
    for currency in final["currency"].unique():
        mask = (final["currency"] == currency).to_numpy()
        rate[mask] = rate_rc[currency][index[mask]]
    frame = pd.DataFrame({"day": index, "channel": channels.to_numpy(), "spend_rc": amount * rate})
    table = frame.pivot_table(index="day", columns="channel", values="spend_rc", aggfunc="sum", fill_value=0.0)
    table = table.reindex(index=np.arange(len(days)), columns=list(MEDIA_CHANNELS), fill_value=0.0)
    return table.set_axis(days, axis=0)


def adstock(spend: np.ndarray, alpha: float, l_max: int = L_MAX_DAYS) -> np.ndarray:
    """Normalised geometric adstock of a daily series (days before the first count as zero)."""
    weights = alpha ** np.arange(l_max)
    weights = weights / weights.sum()
    return np.convolve(spend, weights)[: len(spend)]


def hill(x: np.ndarray, beta: float, kappa: float, slope: float) -> np.ndarray:
    ratio = np.power(np.maximum(x, 0.0), slope)
    return beta * ratio / (ratio + kappa**slope)


@dataclass(frozen=True)
class MediaTruth:
    reporting_currency: str
    parameters: dict[str, dict[str, float]]  # channel -> alpha, beta, kappa, slope (reporting currency, days)
    spend_rc: pd.DataFrame  # day x channel
    incremental_rc: pd.DataFrame  # day x channel
    baseline_rc: np.ndarray  # per day, without organic demand
    organic_rc: np.ndarray  # per day
    noise_rc: np.ndarray  # per day

    @property
    def revenue_rc(self) -> np.ndarray:
        return self.baseline_rc + self.organic_rc + self.incremental_rc.sum(axis=1).to_numpy() + self.noise_rc

    def as_json(self) -> dict[str, object]:
        return {
            "reporting_currency": self.reporting_currency,
            "saturation": "hill",
            "channels": {
                channel: {"adstock": "geometric", "alpha": p["alpha"], "l_max_days": L_MAX_DAYS}
                | {name: p[name] for name in ("beta", "kappa", "slope")}
                for channel, p in self.parameters.items()
            },
        }

    def by_channel_month(self) -> pd.DataFrame:
        months = self.spend_rc.index.to_numpy().astype("datetime64[M]").astype(str)
        spend = self.spend_rc.groupby(months).sum().stack().rename("spend_rc")
        incremental = self.incremental_rc.groupby(months).sum().stack().rename("incremental_revenue_rc")
        frame = pd.concat([spend, incremental], axis=1).reset_index()
        frame.columns = ["period", "channel", "spend_rc", "incremental_revenue_rc"]
        frame = frame[frame["spend_rc"] > 0].sort_values(["channel", "period"], kind="stable")
        for column in ("spend_rc", "incremental_revenue_rc"):
            frame[column] = frame[column].round(2)
        return frame[["channel", "period", "spend_rc", "incremental_revenue_rc"]].reset_index(drop=True)


def plant(spend_rc: pd.DataFrame, reporting_currency: str, usd_rc: float, rng: np.random.Generator) -> MediaTruth:
    """The channel responses, baseline, organic demand and noise of every day.

    ``usd_rc``: reporting currency per USD at the start (the baseline is set in USD).
    """
    days = spend_rc.index.to_numpy().astype("datetime64[D]")
    parameters, incremental = {}, {}
    for channel in MEDIA_CHANNELS:
        response = RESPONSE[channel]
        spend = spend_rc[channel].to_numpy()
        mean = float(spend[spend > 0].mean()) if (spend > 0).any() else 1.0
        kappa = response.kappa_per_mean_spend * mean
        share_at_mean = mean**response.slope / (mean**response.slope + kappa**response.slope)
        beta = response.roas_at_mean_spend * mean / share_at_mean
        parameters[channel] = {
            "alpha": response.alpha,
            "beta": round(beta, 2),
            "kappa": round(kappa, 2),
            "slope": response.slope,
        }
        p = parameters[channel]
        incremental[channel] = hill(adstock(spend, p["alpha"]), p["beta"], p["kappa"], p["slope"])
    years = (days - days[0]).astype(np.int64) / 365.25
    weekday = np.asarray(BASELINE_WEEKDAY)[((days.astype(np.int64) + 3) % 7)]
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    season = 1.0 + BASELINE_SEASON_AMPLITUDE * np.cos(2 * np.pi * (day_of_year - 330) / 365.25)
    baseline = usd_rc * BASELINE_PER_DAY * (1 + BASELINE_TREND_PER_YEAR * years) * season * weekday
    organic = usd_rc * ORGANIC_CAUGHT_PER_DAY * season * weekday * rng.lognormal(0.0, 0.05, len(days))
    incremental_frame = pd.DataFrame(incremental, index=spend_rc.index)
    expected = baseline + organic + incremental_frame.sum(axis=1).to_numpy()
    noise = rng.normal(0.0, NOISE_SHARE, len(days)) * expected
    return MediaTruth(reporting_currency, parameters, spend_rc, incremental_frame, baseline, organic, noise)


def realise_revenue(
    conversions: pd.DataFrame,
    caught: np.ndarray,
    truth: MediaTruth,
    rate_rc: Mapping[str, np.ndarray],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """``conversions`` with revenue (and margin, same ratio as drawn) set so each UTC day sums to the truth.

    ``caught``: per conversion, was its converting touch brand search or display (it takes the
    organic share). Days without any conversion get an offline order (``POS-``) of a new customer.
    """
    days = truth.spend_rc.index.to_numpy().astype("datetime64[D]")
    first = days[0].astype(np.int64)
    epochs = conversions["_epoch"].to_numpy(dtype=np.int64)
    day = epochs // DAY - first
    empty = np.setdiff1d(np.arange(len(days)), day)
    if len(empty):
        conversions = pd.concat([conversions, _offline_orders(days[empty], rng)], ignore_index=True)
        caught = np.concatenate([caught, np.zeros(len(empty), dtype=bool)])
        epochs = conversions["_epoch"].to_numpy(dtype=np.int64)
        day = epochs // DAY - first
    revenue = conversions["revenue"].astype(float).to_numpy()
    margin_ratio = conversions["gross_margin"].astype(float).to_numpy() / revenue
    weight = np.maximum(revenue, 1.0)
    organic = truth.organic_rc
    caught_weight = np.bincount(day, weights=weight * caught, minlength=len(days))
    all_weight = np.bincount(day, weights=weight, minlength=len(days))
    organic_goes_to_caught = caught_weight[day] > 0
    rest_rc = truth.revenue_rc - np.where(caught_weight > 0, organic, 0.0)
    revenue_rc = weight / all_weight[day] * rest_rc[day]
    revenue_rc += (
        np.where(caught & organic_goes_to_caught, weight / np.maximum(caught_weight[day], 1e-9), 0.0) * (organic[day])
    )
    rate = np.empty(len(conversions))
    for currency in conversions["currency"].unique():
        mask = (conversions["currency"] == currency).to_numpy()
        rate[mask] = rate_rc[currency][day[mask]]
    revenue_cents = np.maximum(np.rint(revenue_rc / rate * 100).astype(np.int64), 1)
    margin_cents = np.rint(revenue_cents * margin_ratio).astype(np.int64)
    return conversions.assign(revenue=fixed(revenue_cents, 2), gross_margin=fixed(margin_cents, 2))


def _offline_orders(days: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """One order at noon UTC of each of ``days``, placed offline (no journey), USD."""
    epochs = days.astype("datetime64[s]").astype(np.int64) + 12 * 3600
    count = len(days)
    numbers = np.arange(count) + 1
    stamps = np.datetime_as_string(epochs.astype("datetime64[s]"), unit="s")
    return pd.DataFrame(
        {
            "conversion_id": padded("POS-", numbers, 6),
            "customer_id": padded("C", 9_500_000 + numbers, 7),
            "converted_at": np.strings.add(stamps.astype(str), "Z"),
            "revenue": "100.00",
            "gross_margin": fixed(np.rint(rng.uniform(0.2, 0.6, count) * 10_000).astype(np.int64), 2),
            "currency": "USD",
            "conversion_type": "order",
            "_epoch": epochs,
            "_seq": np.iinfo(np.int64).max - count + numbers,
        }
    )


def rates_by_day(fx_table: object, currencies: set[str], days: np.ndarray) -> dict[str, np.ndarray]:
    """Reporting currency per unit of each currency on each day, as of the day (``_truth.FxTable``)."""
    as_dates = [dt.date.fromisoformat(str(day)) for day in days]
    return {currency: np.array([float(fx_table.rate(currency, day)) for day in as_dates]) for currency in currencies}
