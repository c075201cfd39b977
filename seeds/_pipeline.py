"""B2B pipeline: CRM opportunities opened after LinkedIn and paid-search clicks, and the truth of their influence.

Deals are drawn from their **own** random stream (``np.random.default_rng([seed, PIPELINE_STREAM])``)
and written after every other source and truth file, so adding them changes none of the other files.

A deal is anchored on a click of a known customer (the customer named on the touch, or the one its
visitor is identified with) on a LinkedIn (``b2b_*``) or paid-search campaign: the opportunity is
created between ten minutes and three days after it, so the click is in its attribution window. The
CRM exports one snapshot per change (``updated_at``), one file per UTC month of ``updated_at``:
created at ``prospecting``, then forward through the stages at irregular intervals until it is won,
lost or left open; some deals change their amount at ``proposal``, and a few fall back a stage (a
stage regression). Snapshots after the sample's last day are not exported.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from seeds._io import LandingWriter, epoch
from seeds._truth import CENT, Campaign, FxTable, money, touch_channels
from seeds._world import Calendar, period

PIPELINE_STREAM = 13  # the deals' own stream: np.random.default_rng([seed, PIPELINE_STREAM])
LOOKBACK_SECONDS = 30 * 86_400
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")
OPEN_STAGES = STAGES[:4]
COLUMNS = (
    "opportunity_id",
    "customer_id",
    "created_at",
    "stage",
    "amount",
    "currency",
    "expected_close_date",
    "is_closed",
    "is_won",
    "updated_at",
)
DEALS_PER_THOUSAND_TOUCHES = 5.0
REGRESSION_SHARE = 0.15  # of the deals that get past qualification
_CURRENCY_OF_PREFIX = {"b2b_": "GBP", "us_search_": "USD", "eu_search_": "EUR"}


def _currency(utm_campaign: str) -> str:
    return next(code for prefix, code in _CURRENCY_OF_PREFIX.items() if utm_campaign.startswith(prefix))


def _stamp(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_deal_campaign(utm: pd.Series) -> pd.Series:
    return utm.str.startswith(tuple(_CURRENCY_OF_PREFIX))


@dataclass(frozen=True)
class _Deal:
    opportunity_id: str
    customer_id: str
    created: int
    currency: str
    snapshots: list[tuple[int, str, int]]  # (updated epoch, stage, amount in cents)


def _deal_path(rng: np.random.Generator, created: int, cents: int) -> list[tuple[int, str, int]]:
    """The snapshots of one deal: forward through the stages, maybe one regression, to its end."""
    outcome = rng.choice(["won", "lost", "open"], p=[0.35, 0.35, 0.30])
    last_open = int(rng.integers(1, len(OPEN_STAGES))) if outcome == "open" else len(OPEN_STAGES) - 1
    regress_at = int(rng.integers(2, last_open + 1)) if last_open >= 2 and rng.random() < REGRESSION_SHARE else 0
    snapshots = [(created, "prospecting", cents)]
    at, amount = created, cents
    for rank in range(1, last_open + 1):
        at += int(rng.integers(3, 25)) * 86_400 + int(rng.integers(0, 86_400))
        if STAGES[rank] == "proposal" and rng.random() < 0.4:
            amount = round(amount * float(rng.uniform(0.8, 1.25)))
        snapshots.append((at, STAGES[rank], amount))
        if rank == regress_at:
            at += int(rng.integers(2, 10)) * 86_400 + int(rng.integers(0, 86_400))
            snapshots.append((at, STAGES[rank - 1], amount))
            at += int(rng.integers(2, 10)) * 86_400 + int(rng.integers(0, 86_400))
            snapshots.append((at, STAGES[rank], amount))
    if outcome != "open":
        at += int(rng.integers(3, 30)) * 86_400 + int(rng.integers(0, 86_400))
        snapshots.append((at, "closed_won" if outcome == "won" else "closed_lost", amount))
    return snapshots


def simulate(touchpoints: pd.DataFrame, calendar: Calendar, seed: int) -> list[_Deal]:
    """Deals anchored on LinkedIn and paid-search clicks of known customers (``touchpoints``: the generator's)."""
    rng = np.random.default_rng([seed, PIPELINE_STREAM])
    owners = (
        touchpoints.loc[touchpoints["customer_id"] != "", ["anonymous_id", "customer_id"]]
        .drop_duplicates("anonymous_id")
        .set_index("anonymous_id")["customer_id"]
    )
    person = touchpoints["customer_id"].where(touchpoints["customer_id"] != "", touchpoints["anonymous_id"].map(owners))
    last_second = epoch(calendar.end, 0) + 86_399
    eligible = touchpoints[
        _is_deal_campaign(touchpoints["utm_campaign"])
        & person.notna()
        & (touchpoints["_epoch"] < last_second - 3 * 86_400)
    ]
    eligible = eligible.iloc[np.lexsort((eligible["_seq"].to_numpy(), eligible["_epoch"].to_numpy()))]
    count = max(12, round(len(touchpoints) / 1000 * DEALS_PER_THOUSAND_TOUCHES))
    picked = np.sort(rng.choice(len(eligible), size=min(count, len(eligible)), replace=False))
    deals = []
    for number, position in enumerate(picked, start=1):
        touch = eligible.iloc[position]
        created = int(touch["_epoch"]) + int(rng.integers(600, 3 * 86_400))
        cents = round(float(rng.lognormal(np.log(40_000), 0.6)) * 100)
        snapshots = [s for s in _deal_path(rng, created, cents) if s[0] <= last_second]
        deals.append(
            _Deal(
                f"OPP-{number:05d}",
                str(person.loc[touch.name]),
                created,
                _currency(str(touch["utm_campaign"])),
                snapshots,
            )
        )
    return deals


def snapshot_frame(deals: list[_Deal]) -> pd.DataFrame:
    """Every snapshot as contract text, with ``_updated`` (epoch) for the monthly files."""
    rows = []
    for deal in deals:
        close_date = dt.datetime.fromtimestamp(deal.created, dt.UTC).date() + dt.timedelta(days=90)
        for updated, stage, cents in deal.snapshots:
            rows.append(
                {
                    "opportunity_id": deal.opportunity_id,
                    "customer_id": deal.customer_id,
                    "created_at": _stamp(deal.created),
                    "stage": stage,
                    "amount": f"{Decimal(cents) / 100:.2f}",
                    "currency": deal.currency,
                    "expected_close_date": close_date.isoformat(),
                    "is_closed": "true" if stage.startswith("closed_") else "false",
                    "is_won": "true" if stage == "closed_won" else "false",
                    "updated_at": _stamp(updated),
                    "_updated": updated,
                }
            )
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "_updated"])
    return frame.sort_values(["_updated", "opportunity_id"], kind="stable", ignore_index=True)


def write(writer: LandingWriter, calendar: Calendar, deals: list[_Deal]) -> None:
    """One file per UTC month of updated_at, arriving on the month's arrival day."""
    frame = snapshot_frame(deals)
    months = pd.to_datetime(frame["_updated"], unit="s", utc=True).dt.strftime("%Y-%m")
    for month in sorted(months.unique()):
        rows = frame.loc[months == month, list(COLUMNS)].reset_index(drop=True)
        offset = calendar.offset(dt.date.fromisoformat(f"{month}-01"))
        writer.write_csv(
            "opportunities",
            "marketing/opportunities",
            f"opportunities_{month}.csv",
            rows,
            mtime=calendar.arrival(offset, 6),
        )


def truth(
    writer: LandingWriter,
    fx: FxTable,
    dim: dict[tuple[str, str], Campaign],
    utm_to_campaign: dict[str, tuple[str, str]],
) -> dict[str, object]:
    """First- and last-touch pipeline influence per channel, straight from the written files.

    Current snapshot: the latest updated_at (then the latest file); amount at the as-of rate of its
    day. Journey: the customer's touches (stitched) with created_at - 30 days < occurred_at <=
    created_at, ordered by occurred_at, then touchpoint_id; none: ``unattributed``.
    """
    snapshots: dict[tuple[str, str], dict[str, str]] = {}
    for drop in writer.drops_of("opportunities"):  # load order: a later file restates a snapshot
        for row in drop.frame.to_dict("records"):
            snapshots[(row["opportunity_id"], row["updated_at"])] = row
    current: dict[str, dict[str, str]] = {}
    history: dict[str, list[tuple[str, str]]] = {}
    for row in sorted(snapshots.values(), key=lambda row: row["updated_at"]):
        current[row["opportunity_id"]] = row
        history.setdefault(row["opportunity_id"], []).append((row["updated_at"], row["stage"]))
    touches = pd.concat([d.frame for d in writer.drops_of("touchpoints")], ignore_index=True)
    utm = {code: dim[key].channel for code, key in utm_to_campaign.items()}
    touches = touches.assign(
        channel=touch_channels(touches, dim, utm),
        at=pd.to_datetime(touches["occurred_at"], format="ISO8601", utc=True)
        .astype("datetime64[s, UTC]")
        .astype("int64"),
    )
    owners = touches.loc[touches["customer_id"] != "", ["anonymous_id", "customer_id"]].drop_duplicates()
    stitched = touches.merge(owners.rename(columns={"customer_id": "person"}), on="anonymous_id", how="inner")
    by_person = {person: frame for person, frame in stitched.groupby("person", sort=False)}
    totals: dict[str, dict[str, dict[str, Decimal | int]]] = {"first_touch": {}, "last_touch": {}}
    regressions = []
    all_amount, all_won = Decimal(0), Decimal(0)
    for opportunity_id, row in sorted(current.items()):
        updated_day = dt.datetime.fromisoformat(row["updated_at"].replace("Z", "+00:00")).date()
        amount_rc = Decimal(row["amount"]) * fx.rate(row["currency"], updated_day)
        won_rc = amount_rc if row["is_won"] == "true" else Decimal(0)
        all_amount += amount_rc
        all_won += won_rc
        created = int(dt.datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")).timestamp())
        journey = by_person.get(row["customer_id"])
        channels = {"first_touch": "unattributed", "last_touch": "unattributed"}
        if journey is not None:
            window = journey[(journey["at"] > created - LOOKBACK_SECONDS) & (journey["at"] <= created)]
            if len(window):
                ordered = window.sort_values(["at", "touchpoint_id"], kind="stable")
                channels = {"first_touch": ordered["channel"].iloc[0], "last_touch": ordered["channel"].iloc[-1]}
        for model, channel in channels.items():
            bucket = totals[model].setdefault(
                channel, {"opportunities": 0, "pipeline_amount_rc": Decimal(0), "won_amount_rc": Decimal(0)}
            )
            bucket["opportunities"] += 1
            bucket["pipeline_amount_rc"] += amount_rc
            bucket["won_amount_rc"] += won_rc
        stages = [stage for _, stage in sorted(history[opportunity_id])]
        for earlier, later in itertools.pairwise(stages):
            if STAGES.index(later) < STAGES.index(earlier):
                regressions.append({"opportunity_id": opportunity_id, "from": earlier, "to": later})
    return {
        "window": "created_at - 30 days < occurred_at <= created_at (instants)",
        "amounts": "current snapshot's amount x the as-of rate of its updated_at day, reporting currency",
        "opportunities": len(current),
        "snapshots": sum(len(stages) for stages in history.values()),
        "pipeline_amount_rc": money(all_amount, CENT),
        "won_amount_rc": money(all_won, CENT),
        "created_periods": sorted({period(dt.date.fromisoformat(r["created_at"][:10])) for r in current.values()}),
        "credits": {
            model: {
                channel: {
                    "opportunities": values["opportunities"],
                    "pipeline_amount_rc": money(Decimal(values["pipeline_amount_rc"]), CENT),
                    "won_amount_rc": money(Decimal(values["won_amount_rc"]), CENT),
                }
                for channel, values in sorted(by_channel.items())
            }
            for model, by_channel in totals.items()
        },
        "stage_regressions": regressions,
    }
