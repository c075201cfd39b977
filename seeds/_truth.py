"""Expected results, recomputed from the landing files as written (not from the generator's internals).

Every figure here starts from the text rows of the written files: the files are replayed in load order
(name, then modification time) so a later file restates a natural key, malformed lines are left out,
and money is summed with ``decimal.Decimal`` and rounded only at the end. FX follows the contract:
the latest rate at most 7 days old, taken directly ``X -> reporting currency``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from seeds._io import Drop, LandingWriter
from seeds._world import PLANTED, Calendar, period

CENT = Decimal("0.01")
FX_MAX_STALENESS_DAYS = 7
TOLERANCE_PCT = Decimal("0.01")
TOLERANCE_ABS = Decimal("1.00")
TRACKING_TOLERANCE_PCT = Decimal("0.10")
LOOKBACK_SECONDS = 30 * 86_400

NATURAL_KEYS = {
    "google_ads": ("segments.date", "customer.id", "campaign.id"),
    "meta_ads": ("date_start", "account_id", "campaign_id"),
    "linkedin_ads": ("day", "account_id", "campaign_urn"),
    "other_spend": ("spend_date", "source_system", "account_id", "campaign_id"),
    "campaigns": ("platform", "campaign_id"),
    "gl_journal_lines": ("journal_id", "line_id"),
    "vendor_invoices": ("invoice_id",),
    "budgets": ("budget_version", "fiscal_period", "budget_line_id"),
    "fx_rates": ("rate_date", "from_currency", "to_currency"),
}
# Spend sources: (date, platform or None for the source name, account, currency, campaign, spend) headers.
SPEND_COLUMNS = {
    "google_ads": (
        "segments.date",
        None,
        "customer.id",
        "customer.currency_code",
        "campaign.id",
        "metrics.cost_micros",
    ),
    "meta_ads": ("date_start", None, "account_id", "account_currency", "campaign_id", "spend"),
    "linkedin_ads": ("day", None, "account_id", "account_currency", "campaign_urn", "cost_in_local_currency"),
    "other_spend": ("spend_date", "source_system", "account_id", "currency", "campaign_id", "spend"),
}

# Touches without a known paid utm_campaign: (utm_source, utm_medium) -> channel; "*" matches anything.
# On every source / medium the generator writes, these give what the warehouse's GA4 default channel
# groups (dbt_project/seeds/channel_rules.csv) give, computed here independently of them.
CHANNEL_RULES: tuple[tuple[str, str, str], ...] = (
    ("*", "organic", "organic_search"),
    ("*", "email", "email"),
    ("*", "referral", "referral"),
    ("", "", "direct"),
    ("direct", "(none)", "direct"),
    ("*", "*", "other"),
)


def _records(drop: Drop) -> Iterator[dict[str, str]]:
    yield from drop.frame.to_dict("records")


def latest_rows(writer: LandingWriter, source: str) -> dict[tuple[str, ...], tuple[dict[str, str], str]]:
    """Natural key -> (row, file) after replaying ``source``'s files in load order."""
    rows: dict[tuple[str, ...], tuple[dict[str, str], str]] = {}
    for drop in writer.drops_of(source):
        for row in _records(drop):
            rows[tuple(row[column] for column in NATURAL_KEYS[source])] = (row, drop.name)
    return rows


@dataclass(frozen=True)
class FxTable:
    """As-of FX lookup from the written rates."""

    reporting_currency: str
    dates: dict[str, list[dt.date]]
    rates: dict[str, list[Decimal]]

    @classmethod
    def from_writer(cls, writer: LandingWriter, reporting_currency: str) -> FxTable:
        series: dict[str, list[tuple[dt.date, Decimal]]] = {}
        for row, _ in latest_rows(writer, "fx_rates").values():
            if row["to_currency"] != reporting_currency:
                raise ValueError(f"unexpected rate {row['from_currency']} -> {row['to_currency']}")
            series.setdefault(row["from_currency"], []).append(
                (dt.date.fromisoformat(row["rate_date"]), Decimal(row["rate"]))
            )
        ordered = {currency: sorted(values) for currency, values in series.items()}
        return cls(
            reporting_currency,
            {c: [day for day, _ in values] for c, values in ordered.items()},
            {c: [rate for _, rate in values] for c, values in ordered.items()},
        )

    def rate(self, currency: str, day: dt.date) -> Decimal:
        """Units of the reporting currency per unit of ``currency`` on ``day``."""
        if currency == self.reporting_currency:
            return Decimal(1)
        index = bisect.bisect_right(self.dates[currency], day) - 1
        if index < 0 or (day - self.dates[currency][index]).days > FX_MAX_STALENESS_DAYS:
            raise ValueError(f"no {currency} rate within {FX_MAX_STALENESS_DAYS} days before {day}")
        return self.rates[currency][index]


@dataclass(frozen=True)
class SpendRow:
    platform: str
    account_id: str
    currency: str
    campaign_id: str
    day: dt.date
    spend: Decimal
    spend_rc: Decimal


@dataclass(frozen=True)
class Campaign:
    channel: str
    budget_line_id: str


def campaigns(writer: LandingWriter) -> dict[tuple[str, str], Campaign]:
    return {
        key: Campaign(row["channel"], row["budget_line_id"])
        for key, (row, _) in latest_rows(writer, "campaigns").items()
    }


def spend_rows(writer: LandingWriter, fx: FxTable) -> list[SpendRow]:
    """Every loaded, deduplicated spend row with its amount in account and reporting currency."""
    rows = []
    for source, (date_col, platform_col, account_col, currency_col, campaign_col, spend_col) in SPEND_COLUMNS.items():
        for row, _ in latest_rows(writer, source).values():
            spend = Decimal(row[spend_col])
            if source == "google_ads":
                spend = spend.scaleb(-6)
            day = dt.date.fromisoformat(row[date_col])
            campaign_id = row[campaign_col].removeprefix("urn:li:sponsoredCampaign:")
            platform = row[platform_col] if platform_col else source
            currency = row[currency_col]
            rows.append(
                SpendRow(platform, row[account_col], currency, campaign_id, day, spend, spend * fx.rate(currency, day))
            )
    return rows


def money(value: Decimal, quantum: Decimal = CENT) -> str:
    return str(value.quantize(quantum, rounding=ROUND_HALF_UP))


def spend_by_channel_month(rows: list[SpendRow], dim: dict[tuple[str, str], Campaign]) -> pd.DataFrame:
    totals: dict[tuple[str, str], list] = {}
    for row in rows:
        key = (dim[(row.platform, row.campaign_id)].channel, period(row.day))
        entry = totals.setdefault(key, [Decimal(0), 0])
        entry[0] += row.spend_rc
        entry[1] += 1
    return pd.DataFrame(
        [{"channel": c, "month": m, "spend_rc": money(v[0]), "row_count": v[1]} for (c, m), v in sorted(totals.items())]
    )


def spend_by_account_month(rows: list[SpendRow]) -> dict[tuple[str, str, str], tuple[str, Decimal, Decimal]]:
    """(platform, account, month) -> (currency, spend, spend_rc), exact."""
    totals: dict[tuple[str, str, str], tuple[str, Decimal, Decimal]] = {}
    for row in rows:
        key = (row.platform, row.account_id, period(row.day))
        _, spend, spend_rc = totals.get(key, (row.currency, Decimal(0), Decimal(0)))
        totals[key] = (row.currency, spend + row.spend, spend_rc + row.spend_rc)
    return totals


def restated_rows(writer: LandingWriter) -> pd.DataFrame:
    """Natural keys of spend written more than once: the first (stale) and the last (final) value."""
    records = []
    for source, columns in SPEND_COLUMNS.items():
        seen: dict[tuple[str, ...], tuple[str, str]] = {}
        for drop in writer.drops_of(source):
            for row in _records(drop):
                key = tuple(row[column] for column in NATURAL_KEYS[source])
                if key in seen and seen[key][0] != row[columns[5]]:
                    records.append(
                        {
                            "source": source,
                            "natural_key": json.dumps(dict(zip(NATURAL_KEYS[source], key, strict=True))),
                            "column": columns[5],
                            "stale_value": seen[key][0],
                            "final_value": row[columns[5]],
                            "stale_file": seen[key][1],
                            "final_file": drop.name,
                        }
                    )
                seen[key] = (row[columns[5]], drop.name)
    return pd.DataFrame(records)


def rejected_rows(writer: LandingWriter) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source": d.source,
                "file": d.name,
                "line": bad.line,
                "reason_code": bad.reason_code,
                "bad_value": bad.bad_value,
            }
            for d in sorted(writer.drops, key=lambda drop: (drop.source, drop.name))
            for bad in d.bad_lines
        ]
    )


# ---------------------------------------------------------------- reconciliation


def reconciliation(
    writer: LandingWriter, calendar: Calendar, by_account: dict[tuple[str, str, str], tuple[str, Decimal, Decimal]]
) -> pd.DataFrame:
    """Expected status of every closed platform x account x billing period."""
    closed = {period(month) for month in calendar.closed_months}
    invoiced: dict[tuple[str, str, str], tuple[str, Decimal]] = {}
    for row, _ in latest_rows(writer, "vendor_invoices").values():
        if row["status"] != "posted":
            continue
        key = (row["platform"], row["platform_account_id"], row["billing_period"])
        _, amount = invoiced.get(key, (row["currency"], Decimal(0)))
        invoiced[key] = (row["currency"], amount + Decimal(row["amount"]))
    records = []
    for key in sorted(set(by_account) | set(invoiced)):
        if key[2] not in closed:
            continue
        currency, spend, spend_rc = by_account.get(key, ("", None, Decimal(0)))
        invoice_currency, amount = invoiced.get(key, (currency, None))
        difference = (amount or Decimal(0)) - (spend or Decimal(0))
        if spend is None:
            status = "missing_platform_spend"
        elif amount is None:
            status = "missing_invoice"
        else:
            tolerance = max(TOLERANCE_PCT * abs(amount), TOLERANCE_ABS)
            status = "matched" if abs(difference) <= tolerance else "mismatched"
        records.append(
            {
                "platform": key[0],
                "platform_account_id": key[1],
                "billing_period": key[2],
                "expected_status": status,
                "platform_spend": "" if spend is None else str(spend),
                "invoiced_amount": "" if amount is None else str(amount),
                "difference": str(difference),
                "currency": invoice_currency,
                "platform_spend_rc": money(spend_rc),
            }
        )
    return pd.DataFrame(records)


def matched_share(expected: pd.DataFrame) -> Decimal:
    """Share of closed-period spend (reporting currency) whose account-month is matched."""
    spend = expected["platform_spend_rc"].map(Decimal)
    return sum(spend[expected["expected_status"] == "matched"], Decimal(0)) / sum(spend, Decimal(0))


# ---------------------------------------------------------------- budgets


def budget_current(writer: LandingWriter) -> pd.DataFrame:
    """For each fiscal_period x budget_line_id, the row with the latest approved_at."""
    current: dict[tuple[str, str], tuple[dt.datetime, dict[str, str]]] = {}
    for row, _ in latest_rows(writer, "budgets").values():
        approved = dt.datetime.fromisoformat(row["approved_at"])
        key = (row["fiscal_period"], row["budget_line_id"])
        if key not in current or approved > current[key][0]:
            current[key] = (approved, row)
    columns = ("fiscal_period", "budget_line_id", "budget_version", "amount", "currency")
    return pd.DataFrame([{c: row[c] for c in columns} for _, (_, row) in sorted(current.items())])


def budget_actuals(
    writer: LandingWriter,
    calendar: Calendar,
    rows: list[SpendRow],
    dim: dict[tuple[str, str], Campaign],
    fx: FxTable,
) -> pd.DataFrame:
    """Platform vs booked actuals per closed budget line-month (GL converted at its posting date)."""
    closed = {period(month) for month in calendar.closed_months}
    platform: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        key = (period(row.day), dim[(row.platform, row.campaign_id)].budget_line_id)
        if not key[1]:  # a campaign without a budget line: in no budget line's actual
            continue
        platform[key] = platform.get(key, Decimal(0)) + row.spend_rc
    booked: dict[tuple[str, str], Decimal] = {}
    for row, _ in latest_rows(writer, "gl_journal_lines").values():
        if not row["budget_line_id"]:
            continue
        key = (row["fiscal_period"], row["budget_line_id"])
        rate = fx.rate(row["currency"], dt.date.fromisoformat(row["posting_date"]))
        booked[key] = booked.get(key, Decimal(0)) + Decimal(row["amount"]) * rate
    records = []
    for key in sorted(set(platform) | set(booked)):
        if key[0] not in closed:
            continue
        platform_rc, booked_rc = platform.get(key, Decimal(0)), booked.get(key, Decimal(0))
        records.append(
            {
                "fiscal_period": key[0],
                "budget_line_id": key[1],
                "platform_actual_rc": money(platform_rc),
                "booked_actual_rc": money(booked_rc),
                "deviation_pct": "" if booked_rc == 0 else money((platform_rc - booked_rc) / booked_rc * 100),
                "is_tracked": abs(platform_rc - booked_rc) <= TRACKING_TOLERANCE_PCT * abs(booked_rc),
            }
        )
    return pd.DataFrame(records)


def expected_tracking_offsets(calendar: Calendar) -> dict[tuple[str, str], str]:
    """The budget line-months planted to be off by more than the tracking tolerance, with why."""
    return {
        (period(calendar.month(PLANTED.missing_invoice)), "BL-AFFILIATE"): (
            "missing invoice: the affiliate account's spend was never booked"
        ),
        (period(calendar.month(PLANTED.fee_without_spend)), "BL-OFFLINE"): (
            "agency retainer booked in a month with no platform spend"
        ),
    }


# ---------------------------------------------------------------- attribution


def touch_channels(touches: pd.DataFrame, dim: dict[tuple[str, str], Campaign], utm: dict[str, str]) -> pd.Series:
    """Channel of each touch: a known paid utm_campaign wins, else the first matching source/medium rule."""
    channel = touches["utm_campaign"].map(utm)
    for source, medium, rule_channel in CHANNEL_RULES:
        matches = channel.isna()
        if source != "*":
            matches &= touches["utm_source"] == source
        if medium != "*":
            matches &= touches["utm_medium"] == medium
        channel = channel.mask(matches, rule_channel)
    return channel


def _epoch_seconds(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, format="ISO8601", utc=True).astype("datetime64[s, UTC]").astype("int64")


def attribution(
    touches: pd.DataFrame,
    conversions: pd.DataFrame,
    dim: dict[tuple[str, str], Campaign],
    utm_to_campaign: dict[str, tuple[str, str]],
) -> dict[str, object]:
    """First-touch, last-touch and linear credits per channel, computed straight from the contract."""
    utm = {code: dim[key].channel for code, key in utm_to_campaign.items()}
    touches = touches.assign(channel=touch_channels(touches, dim, utm), at=_epoch_seconds(touches["occurred_at"]))
    owners = touches.loc[touches["customer_id"] != "", ["anonymous_id", "customer_id"]].drop_duplicates()
    if owners["anonymous_id"].duplicated().any():
        raise ValueError("an anonymous_id is seen with two customer_ids")
    stitched = touches.merge(owners.rename(columns={"customer_id": "person"}), on="anonymous_id", how="inner")
    conversions = conversions.assign(converted=_epoch_seconds(conversions["converted_at"]))
    journeys = conversions[["conversion_id", "customer_id", "converted"]].merge(
        stitched[["person", "touchpoint_id", "at", "channel"]], left_on="customer_id", right_on="person"
    )
    in_window = (journeys["at"] > journeys["converted"] - LOOKBACK_SECONDS) & (journeys["at"] <= journeys["converted"])
    journeys = journeys[in_window].sort_values(["conversion_id", "at", "touchpoint_id"], kind="stable")
    grouped = journeys.groupby("conversion_id", sort=True)
    unattributed = len(conversions) - grouped.ngroups
    linear = journeys.assign(credit=1.0 / grouped["touchpoint_id"].transform("size"))

    def credits(series: pd.Series) -> dict[str, float]:
        values = {channel: round(float(value), 9) for channel, value in series.items() if value}
        return dict(sorted({**values, "unattributed": float(unattributed)}.items()))

    per_device = owners.groupby("customer_id")["anonymous_id"].nunique()
    at_conversion = journeys[journeys["at"] == journeys["converted"]]
    return {
        "lookback_days": LOOKBACK_SECONDS // 86_400,
        "window": "converted_at - 30 days < occurred_at <= converted_at (30 days = 720 hours, instants)",
        "journey_order": "occurred_at, then touchpoint_id",
        "touchpoints": len(touches),
        "conversions": len(conversions),
        "conversions_with_touch": int(grouped.ngroups),
        "unattributed": int(unattributed),
        "journey_touches": len(journeys),
        "stitching": {
            "anonymous_ids": int(touches["anonymous_id"].nunique()),
            "anonymous_ids_with_customer": len(owners),
            "customers_with_two_devices": int((per_device > 1).sum()),
            "touches_without_customer_id_recovered": int((stitched["customer_id"] == "").sum()),
        },
        "credits": {
            "first_touch": credits(grouped.first()["channel"].value_counts()),
            "last_touch": credits(grouped.last()["channel"].value_counts()),
            "linear": credits(linear.groupby("channel")["credit"].sum()),
        },
        "planted": {
            "touches_at_converted_at": [
                {"touchpoint_id": touch, "conversion_id": conversion}
                for touch, conversion in zip(
                    at_conversion["touchpoint_id"], at_conversion["conversion_id"], strict=True
                )
            ]
        },
    }
