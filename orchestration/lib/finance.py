"""The finance accuracy targets as small pure functions: shares, errors, and where reports go.

The row-level rules (reconciliation status, tracked or not, each projection's
error) are decided in SQL by the dbt marts; these functions turn the marts'
aggregates into the measured value of a target, so the maths behind a Dagster
check is testable without a warehouse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

MATCHED = "matched"
RECONCILIATION_STATUSES = ("matched", "mismatched", "missing_invoice", "missing_platform_spend")
PACING_STATUSES = ("under", "on_track", "over")
ACTUAL_SOURCES = ("booked", "platform")
BACKTEST_CHECKPOINT_DAYS = (10, 20)
MAPE_CHECKPOINT_DAY = 20


def share(part: Decimal | float | int, whole: Decimal | float | int) -> float | None:
    """``part / whole``; None when there is nothing to measure (``whole`` is 0)."""
    if whole == 0:
        return None
    return float(Decimal(str(part)) / Decimal(str(whole)))


def matched_share(spend_rc_by_status: Mapping[str, Decimal | float]) -> float | None:
    """Data sync: the share of closed-period platform spend (reporting currency) whose status is matched.

    Every status's spend counts in the denominator (missing_platform_spend has none).
    """
    unknown = set(spend_rc_by_status) - set(RECONCILIATION_STATUSES)
    if unknown:
        raise ValueError(f"unknown reconciliation status(es): {sorted(unknown)}")
    total = sum((Decimal(str(value)) for value in spend_rc_by_status.values()), Decimal(0))
    return share(Decimal(str(spend_rc_by_status.get(MATCHED, 0))), total)


def tracked_share(tracked: int, measured: int) -> float | None:
    """Budget tracking: the share of closed budget line-periods whose platform actual tracks the booked one."""
    if not 0 <= tracked <= measured:
        raise ValueError(f"tracked ({tracked}) must be between 0 and the periods measured ({measured})")
    return share(tracked, measured)


def mean_absolute_percentage_error(errors: Iterable[float | None]) -> float | None:
    """The mean of the absolute percentage errors that exist (None: the final actual was 0)."""
    scored = [error for error in errors if error is not None]
    if not scored:
        return None
    return sum(scored) / len(scored)


def weighted_absolute_percentage_error(pairs: Iterable[tuple[float, float]]) -> float | None:
    """sum |projected - final| / sum final over (projected, final) pairs: big lines weigh more."""
    pairs = list(pairs)
    total = sum(final for _, final in pairs)
    if total == 0:
        return None
    return sum(abs(projected - final) for projected, final in pairs) / total


def meets_floor(value: float | None, floor: float) -> bool:
    """A share target: met when the share is at least the floor; nothing to measure counts as met."""
    return value is None or value >= floor


def meets_ceiling(value: float | None, ceiling: float) -> bool:
    """An error target: met when the error is at most the ceiling; nothing to measure counts as met."""
    return value is None or value <= ceiling


def exceptions_csv_path(warehouse: Path) -> Path:
    """Where the reconciliation work list is exported: ``<warehouse dir>/reports/exceptions/``."""
    return warehouse.parent / "reports" / "exceptions" / "spend_reconciliation_exceptions.csv"
