"""Spending authorisation: the planted unbudgeted spend, and its truth (issue 13).

Three cases, each expressed relative to an existing planted month or a campaign's own flight, so they stay
in closed months whatever the range:

- a campaign without a budget line: ``NO_BUDGET_LINE_CAMPAIGN`` (Google Ads, USD account) runs on days
  1..20 of the month ``PLANTED.missing_invoice + 2``; it is in the campaign file with an empty
  budget_line_id, its spend is invoiced with the account's other spend and booked to no budget line;
- spend after a flight's end: ``FLIGHT_OVERRUN_CAMPAIGN`` keeps spending ``FLIGHT_OVERRUN_DAYS`` days after
  its end date (the platform reports it, the vendor invoices it, the budget never planned it);
- a period without a budget: ``BUDGET_GAP_LINE`` has no budget in any version for the month
  ``PLANTED.missing_invoice + 3``, while its campaigns run as usual.

``unbudgeted_truth`` recomputes the expected ``fct_unbudgeted_spend`` from the written landing files (the
campaign file, the budgets and the spend rows converted with the truth's own FX table), by the same
rules, written in plain Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from seeds._spend import SpendData, _campaign_rows
from seeds._world import CAMPAIGNS, PLANTED, Calendar, Campaign, Flight, period

NO_BUDGET_LINE_OFFSET = PLANTED.missing_invoice + 2
BUDGET_GAP_OFFSET = PLANTED.missing_invoice + 3
BUDGET_GAP_LINE = "BL-DISPLAY"
FLIGHT_OVERRUN_UTM = "eu_social_video_spring"
FLIGHT_OVERRUN_DAYS = 3
# Its own random stream: the planted rows never shift the draws of the rest of the sample.
_SEED_SALT = 1313

NO_BUDGET_LINE_CAMPAIGN = Campaign(
    "google_ads",
    "5824719301",
    "21799900013",
    "US | Search | Agency Test (no budget line)",
    "paid_search",
    "",
    "us_search_agency_test",
    350,
    "Performance Marketing US",
    Flight((NO_BUDGET_LINE_OFFSET, 1), (NO_BUDGET_LINE_OFFSET, 20)),
    utm_source="google",
    utm_medium="cpc",
)
PLANTED_CAMPAIGNS: tuple[Campaign, ...] = (NO_BUDGET_LINE_CAMPAIGN,)


def flight_overrun_campaign() -> Campaign:
    return next(campaign for campaign in CAMPAIGNS if campaign.utm_campaign == FLIGHT_OVERRUN_UTM)


def budget_line_of(platform: str, campaign_id: str) -> str:
    """A campaign's budget line ("" for none), the planted campaigns included."""
    for campaign in (*CAMPAIGNS, *PLANTED_CAMPAIGNS):
        if (campaign.platform, campaign.campaign_id) == (platform, campaign_id):
            return campaign.budget_line_id
    raise KeyError((platform, campaign_id))


def plant_spend(spend: SpendData, calendar: Calendar, seed: int) -> SpendData:
    """The ledger with the planted campaign's spend and the flight overrun added (original and final)."""
    rng = np.random.default_rng([seed, _SEED_SALT])
    overrun = flight_overrun_campaign()
    end = overrun.end_date(calendar)
    if end is None:
        raise ValueError(f"{overrun.name} has no end date to overrun")
    first, last = end + dt.timedelta(days=1), end + dt.timedelta(days=FLIGHT_OVERRUN_DAYS)
    extended = dataclasses.replace(
        overrun,
        flight=Flight((calendar.offset(first), first.day), (calendar.offset(last), last.day)),
    )
    added = pd.concat(
        [_campaign_rows(NO_BUDGET_LINE_CAMPAIGN, calendar, rng), _campaign_rows(extended, calendar, rng)],
        ignore_index=True,
    )
    added.index = added.index + max(len(spend.original), int(spend.original.index.max()) + 1)

    def with_added(ledger: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([ledger, added]).sort_values(["platform", "date", "account_id", "campaign_id"], kind="stable")

    return SpendData(with_added(spend.original), spend.restatements, with_added(spend.final))


def without_budget_gap(frame: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """A budget version without the planted gap's line-month."""
    gap = (frame["fiscal_period"] == period(calendar.month(BUDGET_GAP_OFFSET))) & (
        frame["budget_line_id"] == BUDGET_GAP_LINE
    )
    return frame[~gap].reset_index(drop=True)


def unbudgeted_truth(
    spend_rows: list, campaigns: dict[tuple[str, str], dict[str, str]], current_budgets: pd.DataFrame
) -> pd.DataFrame:
    """Expected fct_unbudgeted_spend: day x platform x campaign, reason, spend and spend_rc (exact).

    ``spend_rows`` are the truth's converted spend rows, ``campaigns`` the campaign file's latest rows by
    (platform, campaign_id), ``current_budgets`` the current budget per (fiscal_period, budget_line_id).
    """
    budgeted = set(zip(current_budgets["fiscal_period"], current_budgets["budget_line_id"], strict=True))
    totals: dict[tuple[dt.date, str, str], list] = {}
    for row in spend_rows:
        campaign = campaigns[(row.platform, row.campaign_id)]
        line = campaign["budget_line_id"]
        start = dt.date.fromisoformat(campaign["start_date"]) if campaign["start_date"] else None
        end = dt.date.fromisoformat(campaign["end_date"]) if campaign["end_date"] else None
        if not line:
            reason = "no_budget_line"
        elif (start is not None and row.day < start) or (end is not None and row.day > end):
            reason = "outside_flight_dates"
        elif (period(row.day), line) not in budgeted:
            reason = "no_current_budget"
        else:
            continue
        key = (row.day, row.platform, row.campaign_id)
        entry = totals.setdefault(key, [reason, line, campaign["channel"], row.currency, Decimal(0), Decimal(0)])
        entry[4] += row.spend
        entry[5] += row.spend_rc
    return pd.DataFrame(
        [
            {
                "spend_date": day.isoformat(),
                "fiscal_period": period(day),
                "platform": platform,
                "campaign_id": campaign_id,
                "reason": reason,
                "budget_line_id": line,
                "channel": channel,
                "currency": currency,
                "spend": str(spend),
                "spend_rc": str(spend_rc),
            }
            for (day, platform, campaign_id), (reason, line, channel, currency, spend, spend_rc) in sorted(
                totals.items()
            )
        ],
        columns=[
            "spend_date", "fiscal_period", "platform", "campaign_id", "reason", "budget_line_id", "channel",
            "currency", "spend", "spend_rc",
        ],
    )  # fmt: skip
