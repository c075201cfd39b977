"""Finance: vendor invoices, general-ledger lines, budgets and lift tests, derived from the final spend.

Every closed month, each account with spend gets one posted invoice for exactly its platform spend
(rounded to the currency's minor unit), expensed in the GL to budget lines in proportion to that
account's spend per budget line. The planted reconciliation cases bend this rule in one place each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from seeds._fx import FxPath
from seeds._io import decimal_units
from seeds._media import MediaTruth
from seeds._spend import expected_spend, flight_days
from seeds._world import (
    ACCOUNTS,
    ACCOUNTS_BY_ID,
    AGENCY_FEES,
    BUDGET_LINES,
    CAMPAIGNS,
    PLANTED,
    Account,
    BudgetLine,
    Calendar,
    add_months,
    month_end,
    period,
)

CURRENCY_DECIMALS = {"JPY": 0}

ROUNDING_DIFFERENCE = Decimal("0.37")
OVERBILLING = Decimal("1.03")
VOID_OVERSTATEMENT = Decimal("1.10")
FEE_WITHOUT_SPEND = Decimal("1850000")  # JPY
CREDIT_NOTE = Decimal("-1240.55")  # USD
_POSTING_LAG = dt.timedelta(days=3)


@dataclass(frozen=True)
class PlantedCase:
    """A reconciliation case planted on purpose (the truth recomputes the numbers from the files)."""

    case: str
    account: Account
    month: int
    expected_status: str
    note: str


PLANTED_CASES: tuple[PlantedCase, ...] = (
    PlantedCase("rounding_within_tolerance", ACCOUNTS_BY_ID["5824719301"], PLANTED.rounding_difference, "matched",
                "invoice = platform spend + 0.37 (tolerance is max(1% of invoice, 1.00))"),
    PlantedCase("overbilled_3pct", ACCOUNTS_BY_ID["TVA-US-01"], PLANTED.overbilling, "mismatched",
                "invoice = platform spend x 1.03 on a small account-month"),
    PlantedCase("void_and_reissued", ACCOUNTS_BY_ID["209384756102938"], PLANTED.void_reissue, "matched",
                "first invoice (spend x 1.10) voided, GL entry reversed; re-issued posted invoice = spend"),
    PlantedCase("missing_invoice", ACCOUNTS_BY_ID["PL-88213"], PLANTED.missing_invoice, "missing_invoice",
                "spend but no invoice (and no GL booking) for this account-month"),
    PlantedCase("invoice_without_spend", ACCOUNTS_BY_ID["TVA-JP-01"], PLANTED.fee_without_spend,
                "missing_platform_spend", "agency retainer invoiced in a month without any spend"),
)  # fmt: skip
_CASE_AT = {(case.account.account_id, case.month): case for case in PLANTED_CASES}


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_DECIMALS.get(currency, 2))


def to_currency(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


@dataclass
class Books:
    """The finance rows being built (text-ready values)."""

    invoices: list[dict[str, str]] = field(default_factory=list)
    gl_lines: list[dict[str, str]] = field(default_factory=list)
    _journals: list[tuple[dt.date, list[dict[str, str]]]] = field(default_factory=list)

    def journal(self, posting_date: dt.date, lines: list[dict[str, str]]) -> None:
        self._journals.append((posting_date, lines))

    def number_journals(self) -> None:
        """Give journals ids in posting order (``JE-<year>-<seq>``) and lines ``line_id`` 1..n."""
        sequence: dict[int, int] = {}
        for posting_date, lines in sorted(self._journals, key=lambda journal: journal[0]):
            sequence[posting_date.year] = sequence.get(posting_date.year, 0) + 1
            journal_id = f"JE-{posting_date.year}-{sequence[posting_date.year]:06d}"
            for number, line in enumerate(lines, start=1):
                self.gl_lines.append(
                    {"journal_id": journal_id, "line_id": str(number), "posting_date": posting_date.isoformat(), **line}
                )
        self._journals.clear()


def account_month_spend(final: pd.DataFrame) -> dict[tuple[str, int], dict[str, Decimal]]:
    """Platform spend per (account, month) and budget line, in account currency."""
    from seeds._authorisation import budget_line_of  # the planted campaign without a budget line books to none

    lines = [budget_line_of(*key) for key in zip(final["platform"], final["campaign_id"], strict=True)]
    grouped = final.assign(budget_line_id=lines).groupby(["account_id", "month", "budget_line_id", "scale"])["units"]
    spend: dict[tuple[str, int], dict[str, Decimal]] = {}
    for (account_id, month, line_id, scale), units in grouped.sum().items():
        spend.setdefault((account_id, int(month)), {})[line_id] = decimal_units(units, int(scale))
    return spend


def allocate(amount: Decimal, weights: dict[str, Decimal], currency: str) -> dict[str, Decimal]:
    """Split ``amount`` over ``weights`` in minor units, largest remainder first, summing exactly."""
    unit = minor_unit(currency)
    total_units = int(amount / unit)
    weight_total = sum(weights.values())
    raw = {key: Decimal(total_units) * weight / weight_total for key, weight in weights.items()}
    units = {key: int(value) for key, value in raw.items()}
    leftover = total_units - sum(units.values())
    for key in sorted(raw, key=lambda k: (-(raw[k] - units[k]), k))[:leftover]:
        units[key] += 1
    return {key: value * unit for key, value in units.items()}


def build_books(calendar: Calendar, final: pd.DataFrame, rng: np.random.Generator) -> Books:
    """Invoices and GL lines for every closed month, the planted cases, and the non-marketing lines."""
    books = Books()
    spend = account_month_spend(final)
    for month in range(-calendar.lead, len(calendar.closed_months) - calendar.lead):
        for account in ACCOUNTS:
            _bill(books, calendar, account, month, spend.get((account.account_id, month)))
    _credit_note(books, calendar)
    _overheads(books, calendar, rng)
    books.number_journals()
    return books


def _bill(books: Books, calendar: Calendar, account: Account, month: int, by_line: dict[str, Decimal] | None) -> None:
    """The invoice(s) and GL journal(s) of one account-month."""
    case = _CASE_AT.get((account.account_id, month))
    if case is not None and (by_line is None) != (case.expected_status == "missing_platform_spend"):
        raise ValueError(f"planted case {case.case} needs {'no ' if by_line else ''}spend in month {month}")
    if case is not None and case.expected_status == "missing_invoice":
        return
    if by_line is None and case is None:
        return
    billing = calendar.month(month)
    invoice_date = add_months(billing, 1).replace(day=account.invoice_day)
    invoice_id = f"{account.invoice_prefix}-{billing:%Y%m}-{account.account_id}"
    spend = to_currency(sum(by_line.values()), account.currency) if by_line else Decimal(0)
    weights = by_line or {_default_budget_line(account): Decimal(1)}
    gl_account = AGENCY_FEES if by_line is None else account.gl_account
    amount = {
        "rounding_within_tolerance": spend + ROUNDING_DIFFERENCE,
        "overbilled_3pct": to_currency(spend * OVERBILLING, account.currency),
        "invoice_without_spend": FEE_WITHOUT_SPEND,
    }.get(case.case if case else "", spend)

    if case is not None and case.case == "void_and_reissued":
        wrong = to_currency(spend * VOID_OVERSTATEMENT, account.currency)
        books.invoices.append(_invoice(account, invoice_id, billing, invoice_date, wrong, "void"))
        lines = _expense_lines(account, billing, invoice_id, allocate(wrong, weights, account.currency), gl_account)
        books.journal(invoice_date + _POSTING_LAG, lines)
        reversal = [
            {**line, "amount": str(-Decimal(line["amount"])), "memo": f"Reversal: invoice {invoice_id} voided"}
            for line in lines
        ]
        books.journal(invoice_date + dt.timedelta(days=8), reversal)
        invoice_id, invoice_date = f"{invoice_id}-R1", invoice_date + dt.timedelta(days=6)

    books.invoices.append(_invoice(account, invoice_id, billing, invoice_date, amount, "posted"))
    lines = _expense_lines(account, billing, invoice_id, allocate(amount, weights, account.currency), gl_account)
    books.journal(invoice_date + _POSTING_LAG, lines)


def _default_budget_line(account: Account) -> str:
    return next(c.budget_line_id for c in CAMPAIGNS if c.account_id == account.account_id)


def _invoice(
    account: Account, invoice_id: str, billing: dt.date, invoice_date: dt.date, amount: Decimal, status: str
) -> dict[str, str]:
    return {
        "invoice_id": invoice_id,
        "vendor": account.vendor,
        "platform": account.platform,
        "platform_account_id": account.account_id,
        "billing_period": period(billing),
        "invoice_date": invoice_date.isoformat(),
        "amount": str(amount),
        "currency": account.currency,
        "status": status,
    }


def _expense_lines(
    account: Account, billing: dt.date, invoice_id: str, amounts: dict[str, Decimal], gl_account: tuple[str, str]
) -> list[dict[str, str]]:
    """One debit line per budget line of an invoice."""
    return [
        {
            "fiscal_period": period(billing),
            "account_code": gl_account[0],
            "account_name": gl_account[1],
            "cost_center": account.cost_center,
            "budget_line_id": line_id,
            "vendor": account.vendor,
            "amount": str(amount),
            "currency": account.currency,
            "memo": f"{account.platform} {account.account_id} {period(billing)} media",
            "invoice_id": invoice_id,
        }
        for line_id, amount in sorted(amounts.items())
    ]


def _credit_note(books: Books, calendar: Calendar) -> None:
    """A vendor credit for invalid clicks, booked as a negative line against search."""
    account = ACCOUNTS_BY_ID["5824719301"]
    billing = calendar.month(PLANTED.credit_note)
    line = _expense_lines(
        account, billing, f"GOOG-CN-{billing:%Y%m}-{account.account_id}", {"BL-SEARCH": CREDIT_NOTE}, account.gl_account
    )[0]
    line["memo"] = "Credit note: invalid click adjustment"
    books.journal(add_months(billing, 1).replace(day=8), [line])


_OVERHEADS: tuple[tuple[int, str, str, str, str, str, Decimal, str], ...] = (
    # (day of month or -1 for last, account code, name, cost center, vendor, currency, amount, memo)
    (1, "6500", "Rent and facilities", "FAC", "Harbor Point Properties LLC", "USD", Decimal("42000.00"), "HQ rent"),
    (1, "6500", "Rent and facilities", "FAC", "Spreeblick Büro GmbH", "EUR", Decimal("9800.00"), "Berlin office rent"),
    (15, "6400", "Software subscriptions", "IT", "Cloudworks Inc.", "USD", Decimal("12400.00"), "SaaS licences"),
    (-1, "6000", "Salaries and wages", "HR", "", "USD", Decimal("385000.00"), "Payroll"),
)


def _overheads(books: Books, calendar: Calendar, rng: np.random.Generator) -> None:
    """Non-marketing lines (no budget line): rent, software, payroll, every month up to ``end``."""
    for first in calendar.months:
        for day, code, name, cost_center, vendor, currency, amount, memo in _OVERHEADS:
            posting = month_end(first) if day == -1 else first.replace(day=day)
            if posting > calendar.end or posting < calendar.start:
                continue
            if code == "6000":
                amount = to_currency(amount * Decimal(str(round(rng.uniform(0.97, 1.05), 4))), currency)
            line = {
                "fiscal_period": period(first),
                "account_code": code,
                "account_name": name,
                "cost_center": cost_center,
                "budget_line_id": "",
                "vendor": vendor,
                "amount": str(amount),
                "currency": currency,
                "memo": f"{memo} {period(first)}",
                "invoice_id": "",
            }
            books.journal(posting, [line])


# ---------------------------------------------------------------- budgets

_APPROVERS = ("Maren Keller (CFO)", "Finance Committee")
REFORECAST_FACTORS = {"BL-SEARCH": 1.08, "BL-SOCIAL": 0.90, "BL-OFFLINE": 1.15}


def budget_currency(line: BudgetLine, reporting_currency: str) -> str:
    """Budgets are in the reporting currency; one line is planned in EUR (USD if EUR is reporting)."""
    if not line.in_euro:
        return reporting_currency
    return "EUR" if reporting_currency != "EUR" else "USD"


def planned_spend(calendar: Calendar, first: dt.date, last: dt.date) -> dict[tuple[str, str, dt.date], float]:
    """Expected spend (no noise) per (budget line, currency, month) over ``first..last``, campaign currency."""
    plan: dict[tuple[str, str, dt.date], float] = {}
    for campaign in CAMPAIGNS:
        days = flight_days(campaign, calendar, first, last)
        expected = expected_spend(campaign, days, calendar)
        month_index = days.astype("datetime64[M]").astype(np.int64)
        currency = ACCOUNTS_BY_ID[campaign.account_id].currency
        for month_value, total in pd.Series(expected).groupby(month_index).sum().items():
            month = dt.date(1970 + int(month_value) // 12, int(month_value) % 12 + 1, 1)
            key = (campaign.budget_line_id, currency, month)
            plan[key] = plan.get(key, 0.0) + float(total)
    return plan


def budgets(
    calendar: Calendar, fx: FxPath, reporting_currency: str, rng: np.random.Generator
) -> list[tuple[str, dt.datetime, pd.DataFrame]]:
    """(version, approved_at, rows) of every budget version approved by ``end``."""
    versions = []
    for year in range(calendar.start.year, calendar.end.year + 1):
        approved = dt.datetime(year - 1, 12, 10, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        months = [dt.date(year, m, 1) for m in range(1, 13)]
        plan = planned_spend(calendar, months[0], dt.date(year, 12, 31))
        original = {
            (line.budget_line_id, month): _planned_amount(plan, line, month, fx, approved.date(), reporting_currency)
            * rng.uniform(0.93, 1.12)
            for line in BUDGET_LINES
            for month in months
        }
        versions.append((f"FY{year}_original", approved, original, _APPROVERS[0]))
        reforecast_at = dt.datetime(year, 6, 20, 11, 15, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        if reforecast_at.date() <= calendar.end:
            reforecast = {
                (line_id, month): amount * REFORECAST_FACTORS[line_id]
                for (line_id, month), amount in original.items()
                if line_id in REFORECAST_FACTORS and month.month >= 7
            }
            versions.append((f"FY{year}_reforecast_q2", reforecast_at, reforecast, _APPROVERS[1]))
    return [
        (version, approved_at, _budget_frame(version, approved_at, amounts, approver, reporting_currency))
        for version, approved_at, amounts, approver in versions
        if approved_at.date() <= calendar.end
    ]


def _planned_amount(
    plan: dict[tuple[str, str, dt.date], float],
    line: BudgetLine,
    month: dt.date,
    fx: FxPath,
    rate_day: dt.date,
    reporting_currency: str,
) -> float:
    target = budget_currency(line, reporting_currency)
    return sum(
        amount * fx.usd_rate(currency, rate_day) / fx.usd_rate(target, rate_day)
        for (line_id, currency, planned_month), amount in plan.items()
        if line_id == line.budget_line_id and planned_month == month
    )


def _budget_frame(
    version: str,
    approved_at: dt.datetime,
    amounts: dict[tuple[str, dt.date], float],
    approver: str,
    reporting_currency: str,
) -> pd.DataFrame:
    channel = {line.budget_line_id: line for line in BUDGET_LINES}
    rows = [
        {
            "budget_version": version,
            "fiscal_period": period(month),
            "budget_line_id": line_id,
            "channel": channel[line_id].channel,
            "amount": f"{round(amount, -2):.2f}",
            "currency": budget_currency(channel[line_id], reporting_currency),
            "approved_at": approved_at.isoformat(),
            "approved_by": approver,
        }
        for (line_id, month), amount in sorted(amounts.items(), key=lambda item: (item[0][1], item[0][0]))
    ]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- lift tests


def lift_tests(calendar: Calendar, truth: MediaTruth, rate_rc: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Geo-holdout results that agree with the planted media response.

    Each measures a whole channel's spend in its window against no spend: the incremental revenue is
    the planted response of that channel on the window's days, in the currency of the tested account
    (converted at the window's last day). Its 95 % interval is +-30 %. ``video`` is one of the two
    channels bought together; its test is what separates it from ``display``.
    """
    tests = (
        ("LT-001", "paid_social", "104839201847362", calendar.day(3, 1), calendar.day(3, 28)),
        ("LT-002", "offline", "TVA-JP-01", calendar.day(2, 10), calendar.day(4, -1)),
        ("LT-003", "paid_search", "5824719301", calendar.day(7, 1), calendar.day(7, 28)),
        ("LT-004", "video", "5824719301", calendar.day(-6, 1), calendar.day(-6, 28)),
    )
    days = truth.spend_rc.index.to_numpy().astype("datetime64[D]")
    rows = []
    for (
        test_id,
        channel,
        account_id,
        first,
        last,
    ) in tests:
        currency = ACCOUNTS_BY_ID[account_id].currency
        window = (days >= np.datetime64(first)) & (days <= np.datetime64(last))
        rate = Decimal(str(rate_rc[currency][int(np.flatnonzero(window)[-1])]))
        spend = Decimal(str(round(float(truth.spend_rc.loc[window, channel].sum()), 2))) / rate
        revenue = Decimal(str(round(float(truth.incremental_rc.loc[window, channel].sum()), 2))) / rate
        rows.append(
            {
                "test_id": test_id,
                "channel": channel,
                "start_date": first.isoformat(),
                "end_date": last.isoformat(),
                "spend": str(to_currency(spend, currency)),
                "incremental_revenue": str(to_currency(revenue, currency)),
                "ci_low": str(to_currency(revenue * Decimal("0.7"), currency)),
                "ci_high": str(to_currency(revenue * Decimal("1.3"), currency)),
                "currency": currency,
            }
        )
    return pd.DataFrame(rows)
