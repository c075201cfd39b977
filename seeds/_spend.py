"""Daily platform spend per campaign, the planted restatements, and the platform export layouts.

Spend is simulated as floats (a typical day x weekday profile x trend x season x noise) and fixed once
as integer minor units; from then on everything is exact. Google writes micros (the USD account whole
cents, the EUR account full micro precision), JPY is whole yen, the rest have cents.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seeds._io import fixed
from seeds._media import weekly_plan
from seeds._world import ACCOUNTS_BY_ID, CAMPAIGNS, PLANTED, Calendar, Campaign

# Decimals of the integer units per account (google: micros).
SCALE_BY_ACCOUNT = {"5824719301": 6, "7310462958": 6, "TVA-JP-01": 0}
DEFAULT_SCALE = 2
# Finest step the platform really bills in, as a multiple of the units (USD google: cents; JPY TV: 100 yen).
STEP_BY_ACCOUNT = {"5824719301": 10_000, "TVA-JP-01": 100}

# Weekday multipliers, Monday first.
_WEEKDAY = {
    "paid_search": (1.08, 1.10, 1.08, 1.04, 0.98, 0.84, 0.88),
    "paid_social": (0.96, 0.97, 0.98, 1.00, 1.04, 1.10, 1.08),
    "b2b": (1.22, 1.25, 1.20, 1.12, 0.90, 0.22, 0.16),
    "flat": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "affiliate": (0.95, 0.95, 0.97, 1.0, 1.05, 1.12, 1.10),
}
# Month-of-year multipliers, January first.
_SEASON = {
    "b2c": (0.92, 0.90, 0.97, 1.00, 1.02, 0.98, 0.94, 0.92, 1.02, 1.06, 1.28, 1.18),
    "b2b": (1.02, 1.05, 1.08, 1.04, 1.02, 0.96, 0.84, 0.80, 1.06, 1.08, 1.02, 0.72),
}
# (cost per mille, click-through rate, conversion rate, conversion value) by channel; None = no clicks.
_FUNNEL: dict[str, tuple[float, float | None, float, float]] = {
    "paid_search": (38.0, 0.052, 0.045, 118.0),
    "display": (3.8, 0.0042, 0.012, 96.0),
    "video": (9.5, 0.0031, 0.006, 104.0),
    "paid_social": (8.6, 0.012, 0.021, 92.0),
    "b2b": (34.0, 0.0062, 0.018, 0.0),
    "affiliate": (6.0, 0.028, 0.06, 86.0),
    "offline": (1500.0, None, 0.0, 0.0),
}
_TREND_PER_YEAR = 0.15
_NOISE_SIGMA = 0.12


@dataclass(frozen=True)
class Restatement:
    """A later file repeating natural keys with new values."""

    platform: str
    name: str
    mtime: int
    rows: pd.DataFrame  # ledger rows with the restated values


@dataclass(frozen=True)
class SpendData:
    original: pd.DataFrame  # the ledger as first reported (one row per day x account x campaign)
    restatements: list[Restatement]
    final: pd.DataFrame  # after the restatements: what the warehouse must end up with


def _profile(campaign: Campaign) -> tuple[str, str, str]:
    """(weekday profile, season profile, funnel) of a campaign."""
    if campaign.platform == "linkedin_ads":
        return "b2b", "b2b", "b2b"
    weekday = {"paid_search": "paid_search", "paid_social": "paid_social", "affiliate": "affiliate"}
    return weekday.get(campaign.channel, "flat"), "b2c", campaign.channel


def flight_days(campaign: Campaign, calendar: Calendar, first: dt.date, last: dt.date) -> np.ndarray:
    """The days of ``first..last`` on which ``campaign`` runs (none for a campaign without spend)."""
    first = max(campaign.start_date(calendar), first)
    last = min(campaign.end_date(calendar) or last, last)
    if campaign.daily_spend <= 0 or last < first:
        return np.array([], dtype="datetime64[D]")
    return np.arange(np.datetime64(first), np.datetime64(last) + 1, dtype="datetime64[D]")


def expected_spend(campaign: Campaign, days: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Spend of an average day like each of ``days`` (no noise), account currency: budgets plan with this."""
    weekday_profile, season_profile, _ = _profile(campaign)
    weekday = ((days.astype(np.int64) + 3) % 7).astype(np.intp)  # 1970-01-01 was a Thursday
    month_of_year = (days.astype("datetime64[M]").astype(np.int64) % 12).astype(np.intp)
    years = (days - np.datetime64(calendar.start)).astype(np.int64) / 365.25
    return (
        campaign.daily_spend
        * np.asarray(_WEEKDAY[weekday_profile])[weekday]
        * np.asarray(_SEASON[season_profile])[month_of_year]
        * (1.0 + _TREND_PER_YEAR * years)
        * weekly_plan(campaign.channel, days, calendar)
    )


def _campaign_rows(campaign: Campaign, calendar: Calendar, rng: np.random.Generator) -> pd.DataFrame:
    """One ledger row per flight day of ``campaign``."""
    days = flight_days(campaign, calendar, calendar.start, calendar.end)
    spend = expected_spend(campaign, days, calendar) * rng.lognormal(0.0, _NOISE_SIGMA, size=len(days))
    scale = SCALE_BY_ACCOUNT.get(campaign.account_id, DEFAULT_SCALE)
    step = STEP_BY_ACCOUNT.get(campaign.account_id, 1)
    units = np.maximum(np.rint(spend * 10**scale / step).astype(np.int64), 1) * step

    cpm, ctr, conversion_rate, value = _FUNNEL[_profile(campaign)[2]]
    impressions = np.rint(spend / cpm * 1000 * rng.lognormal(0.0, 0.08, size=len(days))).astype(np.int64)
    clicks = (
        rng.binomial(impressions, ctr) if ctr is not None else np.full(len(days), -1, dtype=np.int64)
    )  # -1 = not reported
    conversions = rng.gamma(4.0, np.maximum(clicks, 0) * conversion_rate / 4.0 + 1e-9)
    months = (days.astype("datetime64[M]") - np.datetime64(calendar.months[0], "M")).astype(np.int64) - calendar.lead
    return pd.DataFrame(
        {
            "platform": campaign.platform,
            "account_id": campaign.account_id,
            "currency": ACCOUNTS_BY_ID[campaign.account_id].currency,
            "campaign_id": campaign.campaign_id,
            "campaign_name": campaign.name,
            "date": days,
            "month": months,
            "units": units,
            "scale": scale,
            "impressions": impressions,
            "clicks": clicks,
            "conversions_x100": np.rint(conversions * 100).astype(np.int64),
            "value_cents": np.rint(conversions * value * rng.lognormal(0, 0.2, len(days)) * 100).astype(np.int64),
        }
    )


def simulate(calendar: Calendar, rng: np.random.Generator) -> SpendData:
    """Simulate every campaign, then plant the Google (many rows) and Meta (one row) restatements."""
    frames = [_campaign_rows(campaign, calendar, rng) for campaign in CAMPAIGNS]
    original = (
        pd.concat([frame for frame in frames if len(frame)], ignore_index=True)
        .sort_values(["platform", "date", "account_id", "campaign_id"], kind="stable")
        .reset_index(drop=True)
    )
    restatements = [
        _restate(original, calendar, rng, "google_ads", PLANTED.google_restatement, rows=30, days_later=20),
        _restate(original, calendar, rng, "meta_ads", PLANTED.meta_restatement, rows=1, days_later=15),
    ]
    final = original.copy()
    for restatement in restatements:
        final.loc[restatement.rows.index, ["units", "clicks"]] = restatement.rows[["units", "clicks"]]
    return SpendData(original, restatements, final)


def _restate(
    ledger: pd.DataFrame,
    calendar: Calendar,
    rng: np.random.Generator,
    platform: str,
    month: int,
    *,
    rows: int,
    days_later: int,
) -> Restatement:
    """Credits for invalid clicks (mostly down, a few up) on ``rows`` keys of ``platform``'s ``month``."""
    candidates = ledger.index[(ledger["platform"] == platform) & (ledger["month"] == month)]
    chosen = np.sort(rng.choice(candidates, size=rows, replace=False))
    restated = ledger.loc[chosen].copy()
    factor = np.where(rng.random(rows) < 0.85, rng.uniform(0.88, 0.985, rows), rng.uniform(1.01, 1.04, rows))
    factor[0] = 0.85  # at least one clear drop
    step = np.array([STEP_BY_ACCOUNT.get(account, 1) for account in restated["account_id"]])
    restated["units"] = np.rint(restated["units"] * factor / step).astype(np.int64) * step
    restated["clicks"] = np.where(restated["clicks"] >= 0, np.floor(restated["clicks"] * np.minimum(factor, 1)), -1)
    restated["clicks"] = restated["clicks"].astype(np.int64)
    name = f"{file_stem(platform, calendar.month(month))}_restated{FILE_SUFFIX[platform]}"
    return Restatement(platform, name, calendar.arrival(month) + days_later * 86400, restated)


FILE_SUFFIX = {"google_ads": ".csv", "meta_ads": ".csv.gz", "linkedin_ads": ".csv", "other_spend": ".csv"}


def file_stem(source: str, month: dt.date) -> str:
    return f"{source}_{month.year:04d}-{month.month:02d}"


def _count_text(values: pd.Series) -> np.ndarray:
    """Counts as text, ``-1`` (not reported) as empty."""
    array = values.to_numpy(dtype=np.int64)
    return np.where(array >= 0, array.astype(str), "")


def export_frame(source: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows in the layout ``source``'s export writes (all columns text)."""
    dates = rows["date"].to_numpy().astype("datetime64[D]").astype(str)
    amount = np.empty(len(rows), dtype=object)
    for scale in rows["scale"].unique():
        mask = (rows["scale"] == scale).to_numpy()
        amount[mask] = fixed(rows["units"].to_numpy()[mask], int(scale))
    conversions = fixed(rows["conversions_x100"], 2)
    whole_conversions = (rows["conversions_x100"] // 100).astype(str).to_numpy()
    value = fixed(rows["value_cents"], 2)
    common = {"impressions": _count_text(rows["impressions"]), "clicks": _count_text(rows["clicks"])}
    if source == "google_ads":
        columns = {
            "segments.date": dates,
            "customer.id": rows["account_id"],
            "customer.currency_code": rows["currency"],
            "campaign.id": rows["campaign_id"],
            "campaign.name": rows["campaign_name"],
            "metrics.cost_micros": rows["units"].astype(str),
            "metrics.impressions": common["impressions"],
            "metrics.clicks": common["clicks"],
            "metrics.conversions": conversions,
            "metrics.conversions_value": value,
        }
    elif source == "meta_ads":
        columns = {
            "date_start": dates,
            "account_id": rows["account_id"],
            "account_currency": rows["currency"],
            "campaign_id": rows["campaign_id"],
            "campaign_name": rows["campaign_name"],
            "spend": amount,
            **common,
            "purchases": whole_conversions,
            "purchase_value": value,
        }
    elif source == "linkedin_ads":
        columns = {
            "day": dates,
            "account_id": rows["account_id"],
            "account_currency": rows["currency"],
            "campaign_urn": "urn:li:sponsoredCampaign:" + rows["campaign_id"],
            "campaign_name": rows["campaign_name"],
            "cost_in_local_currency": amount,
            **common,
            "external_website_conversions": whole_conversions,
        }
    else:
        columns = {
            "spend_date": dates,
            "source_system": rows["platform"],
            "account_id": rows["account_id"],
            "campaign_id": rows["campaign_id"],
            "campaign_name": rows["campaign_name"],
            "currency": rows["currency"],
            "spend": amount,
            **common,
        }
    frame = pd.DataFrame({name: np.asarray(values, dtype=object) for name, values in columns.items()})
    return frame.astype(str)


def source_of(platform: str) -> str:
    """The landing source a platform's spend is exported to."""
    return platform if platform in FILE_SUFFIX else "other_spend"


def next_google_ads_day(landing: Path) -> tuple[pd.DataFrame, str]:
    """Google Ads' last day of spend in ``landing`` again as the next day: a new day as it would arrive.

    Same accounts, campaigns and currencies as the last day, so nothing but the date is new. Returns the
    rows (as the export's strings) and the new day (ISO).
    """
    folder = landing / "marketing" / "google_ads"
    spend = pd.concat([pd.read_csv(path, dtype=str) for path in sorted(folder.glob("google_ads_*.csv*"))])
    last = spend["segments.date"].max()
    day = spend[spend["segments.date"] == last].copy()
    next_day = (dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat()
    day["segments.date"] = next_day
    return day, next_day


def land_google_ads_day(landing: Path, frame: pd.DataFrame, day: str) -> Path:
    """Write a day of Google Ads spend (``next_google_ads_day``) into ``landing`` as an export would arrive.

    Written under a name the landing sensor ignores, then renamed into place, so that a reader never sees a
    half-written file. Returns the file's path.
    """
    folder = landing / "marketing" / "google_ads"
    partial = folder / f".google_ads_{day}.csv.partial"
    frame.to_csv(partial, index=False)
    final = folder / f"google_ads_{day}.csv"
    os.replace(partial, final)
    return final
