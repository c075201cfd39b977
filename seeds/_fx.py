"""Treasury FX rates: a daily random walk, published on business days only.

Each currency follows a log-normal random walk against USD; the file holds ``X -> reporting currency``
for every other currency, so weekends and holidays are bridged by the 7-day as-of rule. Rates carry at
least six significant digits: six decimals, more for small rates (JPY -> USD has eight).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from seeds._io import fixed

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "JPY")
# USD per unit on the first day, and the daily volatility of the log rate.
_USD_PER_UNIT = {"USD": 1.0, "EUR": 1.0352, "GBP": 1.2487, "JPY": 0.006371}
_DAILY_VOLATILITY = {"USD": 0.0, "EUR": 0.0042, "GBP": 0.0045, "JPY": 0.0052}
# Fixed-date TARGET holidays without a fixing.
_HOLIDAYS = {(1, 1), (5, 1), (12, 25), (12, 26)}
# The first rate is published this many days before the start date.
LEAD_DAYS = 10


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in _HOLIDAYS


def rate_decimals(rate: float) -> int:
    """Decimals that keep six significant digits, at least six (0.00637 -> 8)."""
    return 6 + max(0, -math.floor(math.log10(rate)) - 1)


@dataclass(frozen=True)
class FxPath:
    """The simulated rates: USD per unit of each currency on each business day."""

    days: list[dt.date]
    usd_per_unit: dict[str, np.ndarray]

    def usd_rate(self, currency: str, day: dt.date) -> float:
        """USD per unit on ``day`` or the latest business day before it (for planning, not for truth)."""
        index = int(np.searchsorted(np.array(self.days, dtype="datetime64[D]"), np.datetime64(day), "right")) - 1
        return float(self.usd_per_unit[currency][max(index, 0)])


def simulate(start: dt.date, end: dt.date, rng: np.random.Generator) -> FxPath:
    """Random-walk the rates over the business days from ``start - LEAD_DAYS`` to ``end``."""
    days = [
        start + dt.timedelta(days=offset)
        for offset in range(-LEAD_DAYS, (end - start).days + 1)
        if is_business_day(start + dt.timedelta(days=offset))
    ]
    paths = {}
    for currency in CURRENCIES:
        steps = rng.normal(0.0, _DAILY_VOLATILITY[currency], size=len(days))
        steps[0] = 0.0
        paths[currency] = _USD_PER_UNIT[currency] * np.exp(np.cumsum(steps))
    return FxPath(days, paths)


def rate_table(path: FxPath, reporting_currency: str) -> pd.DataFrame:
    """The published rows: ``rate_date, from_currency, to_currency, rate`` (text), X -> reporting currency."""
    frames = []
    for currency in CURRENCIES:
        if currency == reporting_currency:
            continue
        rates = path.usd_per_unit[currency] / path.usd_per_unit[reporting_currency]
        decimals = rate_decimals(_USD_PER_UNIT[currency] / _USD_PER_UNIT[reporting_currency])
        frames.append(
            pd.DataFrame(
                {
                    "rate_date": [day.isoformat() for day in path.days],
                    "from_currency": currency,
                    "to_currency": reporting_currency,
                    "rate": fixed(np.rint(rates * 10**decimals).astype(np.int64), decimals),
                }
            )
        )
    return pd.concat(frames).sort_values(["rate_date", "from_currency"], kind="stable").reset_index(drop=True)
