"""One shape for every data-quality result: shown in Dagster, kept in ``audit.dq_results``.

Business rules, ingestion accounting and Great Expectations suites all end up
as a ``CheckOutcome``; ``to_asset_check_result`` turns it into what the Dagster
UI shows, and ``record`` keeps it in the warehouse with its threshold so the
history of every target can be queried with SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check: measured value against its threshold."""

    name: str
    passed: bool
    value: float | None = None
    threshold: float | None = None
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"value": self.value, "threshold": self.threshold}
        if self.description:
            metadata["summary"] = self.description
        for key, detail in self.details.items():
            metadata[key] = detail if isinstance(detail, int | float | str | bool) else json.dumps(detail, default=str)
        return {key: detail for key, detail in metadata.items() if detail is not None}


def to_asset_check_result(outcome: CheckOutcome, asset_key: dg.AssetKey | None = None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=outcome.name,
        asset_key=asset_key,
        passed=outcome.passed,
        severity=outcome.severity,
        description=outcome.description or None,
        metadata=outcome.metadata(),
    )


def record(
    connection: duckdb.DuckDBPyConnection,
    outcomes: Iterable[CheckOutcome],
    asset_key: dg.AssetKey,
    run_id: str | None,
) -> None:
    """Append the outcomes to ``audit.dq_results``."""
    evaluated_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (
            run_id,
            outcome.name,
            asset_key.to_user_string(),
            outcome.passed,
            outcome.severity.value,
            outcome.value,
            outcome.threshold,
            json.dumps({"description": outcome.description, **outcome.details}, default=str),
            evaluated_at,
        )
        for outcome in outcomes
    ]
    if rows:
        connection.executemany("insert into audit.dq_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
