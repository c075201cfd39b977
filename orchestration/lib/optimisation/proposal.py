"""A scenario's channel totals turned into a budget proposal in the ``finance/budgets`` format.

How channel totals become month x budget-line rows:

1. **The channel's total for the fiscal year.** A scenario recommends a spend *rate*: a total over its
   window (default the last 12 complete months) at which the response curves are read at steady state.
   The fiscal year gets the same daily rate: ``recommended_spend_rc * days(FY) / days(window)``.
   (Scaling today's budget by the recommended change instead would put the channel at another point of
   its curve than the one the optimiser chose.)
2. **Its split over months and budget lines**, by the shares each (month, budget line) of the channel
   has in, first, the *current budget* of that fiscal year (``fct_budget_vs_actual.budget_rc``: finance's
   seasonality and its split between lines, e.g. paid_social's B2B and consumer lines), or, when the
   channel has no current budget there, its *actual spend* in the scenario's window by calendar month
   and budget line (``fct_marketing_spend_daily``; the window's March stands for the fiscal year's
   March). A channel with neither has nowhere to go and is reported, not guessed.
3. **Amounts** are in the reporting currency (the budgets source converts any currency; a proposal is
   a plan, priced once), rounded to cents with each channel's total kept exact (the rounding remainder
   goes to its largest cell).
4. **The rows** carry ``budget_version`` ``FY<year>_<scenario>`` and empty ``approved_at`` and
   ``approved_by``: finance reviews the file, fills both and drops it into ``finance/budgets/``; being
   approved last, its rows become the current budget of their period and line through the existing
   rule (latest ``approved_at`` wins). Budget lines of channels the model does not cover are left out,
   so their current budget stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

BUDGET_COLUMNS = (
    "budget_version",
    "fiscal_period",
    "budget_line_id",
    "channel",
    "amount",
    "currency",
    "approved_at",
    "approved_by",
)


def fiscal_periods(fiscal_year: int, start_month: int = 1) -> list[str]:
    """The twelve ``YYYY-MM`` periods of fiscal year ``fiscal_year`` (named after the year it starts in)."""
    periods = []
    for offset in range(12):
        index = fiscal_year * 12 + start_month - 1 + offset
        periods.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return periods


def period_days(periods: Sequence[str]) -> int:
    first = dt.date.fromisoformat(f"{periods[0]}-01")
    year, month = (int(part) for part in periods[-1].split("-"))
    after = dt.date(year + month // 12, month % 12 + 1, 1)
    return (after - first).days


@dataclass(frozen=True)
class Proposal:
    rows: pd.DataFrame
    """``BUDGET_COLUMNS`` rows, one per fiscal period x budget line."""
    unplaced_channels: tuple[str, ...]
    """Channels with a recommended spend but neither a current budget nor spend to take shares from."""


def _shares(weights: pd.DataFrame) -> pd.DataFrame:
    positive = weights.loc[weights["weight"] > 0]
    return positive.assign(share=positive["weight"] / positive["weight"].sum())


def _cents(total: float, shares: pd.Series) -> list[float]:
    """``total`` split by ``shares`` in cents, summing exactly to ``total`` rounded to cents."""
    raw = [round(total * share, 2) for share in shares]
    remainder = round(round(total, 2) - sum(raw), 2)
    if raw:
        largest = max(range(len(raw)), key=lambda index: raw[index])
        raw[largest] = round(raw[largest] + remainder, 2)
    return raw


def propose(
    channel_totals_rc: Mapping[str, float],
    periods: Sequence[str],
    current_budget: pd.DataFrame,
    window_spend: pd.DataFrame,
    *,
    budget_version: str,
    currency: str,
) -> Proposal:
    """Month x budget-line rows for the fiscal year of ``periods``.

    ``channel_totals_rc``: each channel's total for the fiscal year. ``current_budget``: columns
    fiscal_period, budget_line_id, channel, budget_rc (the current budget). ``window_spend``: columns
    month (1..12), budget_line_id, channel, spend_rc (actual spend in the scenario's window)."""
    month_of_period = {period: int(period[5:7]) for period in periods}
    in_year = current_budget.loc[current_budget["fiscal_period"].isin(periods)]
    rows: list[dict[str, object]] = []
    unplaced: list[str] = []
    for channel, total in sorted(channel_totals_rc.items()):
        if round(total, 2) <= 0:
            weights = in_year.loc[in_year["channel"] == channel, ["fiscal_period", "budget_line_id"]].assign(weight=1.0)
        else:
            weights = in_year.loc[in_year["channel"] == channel].assign(weight=lambda f: f["budget_rc"].astype(float))
            weights = weights[["fiscal_period", "budget_line_id", "weight"]]
        shares = _shares(weights)
        if shares.empty and round(total, 2) > 0:
            spend = window_spend.loc[window_spend["channel"] == channel]
            by_cell = [
                {"fiscal_period": period, "budget_line_id": line.budget_line_id, "weight": float(line.spend_rc)}
                for period in periods
                for line in spend.loc[spend["month"] == month_of_period[period]].itertuples()
            ]
            shares = _shares(pd.DataFrame(by_cell, columns=["fiscal_period", "budget_line_id", "weight"]))
        if shares.empty:
            if round(total, 2) > 0:
                unplaced.append(channel)
            continue
        shares = shares.sort_values(["fiscal_period", "budget_line_id"]).reset_index(drop=True)
        amounts = _cents(max(total, 0.0), shares["share"])
        for cell, amount in zip(shares.itertuples(), amounts, strict=True):
            rows.append(
                {
                    "budget_version": budget_version,
                    "fiscal_period": cell.fiscal_period,
                    "budget_line_id": cell.budget_line_id,
                    "channel": channel,
                    "amount": amount,
                    "currency": currency,
                    "approved_at": "",
                    "approved_by": "",
                }
            )
    frame = pd.DataFrame(rows, columns=list(BUDGET_COLUMNS))
    # one row per period x budget line: a line shared by two channels would be ambiguous
    duplicated = frame.duplicated(["fiscal_period", "budget_line_id"], keep=False)
    if duplicated.any():
        lines = sorted(frame.loc[duplicated, "budget_line_id"].unique())
        raise ValueError(f"budget lines {lines} serve more than one channel: a proposal cannot split them")
    return Proposal(rows=frame.sort_values(["fiscal_period", "budget_line_id"]).reset_index(drop=True),
                    unplaced_channels=tuple(unplaced))  # fmt: skip


SCENARIO_SPEND_SQL = """
    select channel, window_start, window_end, cast(recommended_spend_rc as double) as recommended_spend_rc
    from marts.fct_budget_scenarios
    where scenario = ?
    order by channel
"""

CURRENT_BUDGET_SQL = """
    select fiscal_period, budget_line_id, channel, cast(budget_rc as double) as budget_rc
    from marts.fct_budget_vs_actual
    where budget_rc is not null and fiscal_period between ? and ?
"""

WINDOW_SPEND_SQL = """
    select
        cast(extract(month from spend_date) as integer) as month,
        budget_line_id,
        channel,
        cast(sum(spend_rc) as double) as spend_rc
    from marts.fct_marketing_spend_daily
    where spend_date between ? and ? and budget_line_id is not null
    group by 1, 2, 3
"""


def proposal_from_warehouse(
    connection: duckdb.DuckDBPyConnection, scenario: str, fiscal_year: int, *, start_month: int, currency: str
) -> Proposal:
    """The proposal for ``scenario`` and ``fiscal_year`` from the marts (``connection``: DuckDB)."""
    recommended = connection.execute(SCENARIO_SPEND_SQL, [scenario]).df()
    if recommended.empty:
        raise LookupError(
            f"no scenario {scenario!r} in marts.fct_budget_scenarios (no model fitted, or the scenario is "
            "infeasible or not configured)"
        )
    window_start, window_end = recommended["window_start"].iloc[0], recommended["window_end"].iloc[0]
    window_days = (pd.Timestamp(window_end) - pd.Timestamp(window_start)).days + 1
    periods = fiscal_periods(fiscal_year, start_month)
    scale = period_days(periods) / window_days
    totals = {str(row.channel): float(row.recommended_spend_rc) * scale for row in recommended.itertuples()}
    current = connection.execute(CURRENT_BUDGET_SQL, [periods[0], periods[-1]]).df()
    spend = connection.execute(WINDOW_SPEND_SQL, [window_start, window_end]).df()
    return propose(
        totals,
        periods,
        current,
        spend,
        budget_version=f"FY{fiscal_year}_{scenario}",
        currency=currency,
    )
