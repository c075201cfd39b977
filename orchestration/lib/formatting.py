"""How numbers read in reports, alerts and e-mails (one place, so they read the same everywhere)."""

from __future__ import annotations

import math

MINUS = "\u2212"  # a real minus sign: reads better than a hyphen next to figures


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def amount(value: float | None, decimals: int = 0) -> str:
    """``12,345`` / ``−1,234.50``; a dash when there is no value."""
    if _missing(value):
        return "–"
    text = f"{abs(value):,.{decimals}f}"
    return f"{MINUS}{text}" if value < 0 and text.strip("0.,") else text


def money(value: float | None, currency: str, decimals: int = 0) -> str:
    """``USD 12,345``."""
    return "–" if _missing(value) else f"{currency} {amount(value, decimals)}"


def money_short(value: float | None, currency: str) -> str:
    """``USD 1.23M`` / ``USD 45.6k`` / ``USD 950``: for headlines and chart labels."""
    if _missing(value):
        return "–"
    size = abs(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= threshold:
            scaled = size / threshold
            text = f"{scaled:.3g}{suffix}" if scaled < 100 else f"{scaled:.0f}{suffix}"
            break
    else:
        text = f"{size:.0f}"
    return f"{currency} {MINUS if value < 0 else ''}{text}"


def pct(value: float | None, decimals: int = 1, signed: bool = False) -> str:
    """A share as a percentage: ``12.5%``, signed ``+12.5%`` / ``−3.0%``."""
    if _missing(value):
        return "–"
    text = f"{abs(value) * 100:.{decimals}f}%"
    if value < 0 and text.strip("0.%"):
        return f"{MINUS}{text}"
    return f"+{text}" if signed and value > 0 else text


def ratio(value: float | None, decimals: int = 2) -> str:
    """ROAS-style ratios: ``1.25×``."""
    return "–" if _missing(value) else f"{amount(value, decimals)}×"
