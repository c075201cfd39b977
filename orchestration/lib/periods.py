"""Reporting periods: calendar months (``2025-07``) and ISO weeks (``2025-W07``).

A period key reaches a file path (``reports/<period>/…``), so every key is
parsed against a strict pattern first; nothing else from the data ever names a
file. Weekly Dagster partitions are keyed ``2025-W07-1`` (the ISO week date of
the week's Monday): Dagster parses time-window keys with ``strptime``, which
reads an ISO week only together with a weekday. ``iso_week`` accepts both forms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

MONTH_KEY = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")
WEEK_KEY = re.compile(r"^(?P<year>\d{4})-W(?P<week>0[1-9]|[1-4]\d|5[0-3])(?:-1)?$")
# The strftime/strptime format of weekly partition keys.
WEEK_PARTITION_FORMAT = "%G-W%V-%u"
MONTH_PARTITION_FORMAT = "%Y-%m"


@dataclass(frozen=True)
class ReportingPeriod:
    """One reporting period: its key, kind and first and last day (inclusive)."""

    key: str
    kind: Literal["month", "week"]
    first_date: dt.date
    last_date: dt.date

    @property
    def label(self) -> str:
        if self.kind == "month":
            return self.first_date.strftime("%B %Y")
        return f"week {self.key} ({self.first_date:%d %b} – {self.last_date:%d %b %Y})"

    def contains(self, day: dt.date) -> bool:
        return self.first_date <= day <= self.last_date


def month(key: str) -> ReportingPeriod:
    """The calendar month ``YYYY-MM``; anything else is a ``ValueError``."""
    match = MONTH_KEY.fullmatch(key)
    if match is None:
        raise ValueError(f"not a month period (YYYY-MM): {key!r}")
    first = dt.date(int(match["year"]), int(match["month"]), 1)
    return ReportingPeriod(key=key, kind="month", first_date=first, last_date=_month_end(first))


def iso_week(key: str) -> ReportingPeriod:
    """The ISO week ``YYYY-Www`` (or the partition key ``YYYY-Www-1``), Monday to Sunday."""
    match = WEEK_KEY.fullmatch(key)
    if match is None:
        raise ValueError(f"not an ISO week (YYYY-Www): {key!r}")
    year, week = int(match["year"]), int(match["week"])
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError as error:  # week 53 of a year that has 52
        raise ValueError(f"not an ISO week: {key!r}") from error
    return ReportingPeriod(
        key=f"{year:04d}-W{week:02d}", kind="week", first_date=monday, last_date=monday + dt.timedelta(days=6)
    )


def parse(key: str) -> ReportingPeriod:
    """A month or an ISO week key."""
    return month(key) if MONTH_KEY.fullmatch(key) else iso_week(key)


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def week_key(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_partition_key(day: dt.date) -> str:
    """The weekly partition key of the ISO week containing ``day``."""
    return f"{week_key(day)}-1"


def first_week_partition_key(first_month: str) -> str:
    """The first weekly partition: the ISO week of the first month's first day."""
    return week_partition_key(month(first_month).first_date)


def previous_month_key(moment: dt.datetime | dt.date) -> str:
    """The month before the one ``moment`` falls in (the one a monthly schedule reports on)."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return month_key(day.replace(day=1) - dt.timedelta(days=1))


def previous_week_partition_key(moment: dt.datetime | dt.date) -> str:
    """The ISO week before the one ``moment`` falls in (the one a weekly schedule reports on)."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return week_partition_key(day - dt.timedelta(days=7))


def months_between(first: str, last: str) -> list[str]:
    """Month keys from ``first`` to ``last`` inclusive."""
    start, end = month(first).first_date, month(last).first_date
    keys = []
    day = start
    while day <= end:
        keys.append(month_key(day))
        day = _month_end(day) + dt.timedelta(days=1)
    return keys


def _month_end(first: dt.date) -> dt.date:
    if first.month == 12:
        return first.replace(day=31)
    return first.replace(month=first.month + 1, day=1) - dt.timedelta(days=1)
