"""One shape for every data-quality result: shown in Dagster, kept in ``audit.dq_results``.

Business rules, ingestion accounting and Great Expectations suites all end up
as a ``CheckOutcome``; ``to_asset_check_result`` turns it into what the Dagster
UI shows, and ``record`` keeps it in the warehouse with its threshold so the
history of every target can be queried with SQL.

Two kinds of check, kept apart:

- ``integrity`` (rows lost, missing FX, broken grain, contracts, table rules): the data is wrong. These
  are ERROR checks that hold back only the publish step (``lib/publish_gate.py``): every warehouse table is
  still rebuilt, so the data that explains the failure can be queried, but the snapshot is not published
  and ``make run`` exits non-zero. No check is Dagster-``blocking``: the publish gate is the one mechanism.
- ``target`` (data sync, budget tracking, ROI accuracy, pacing error): the data is right and describes a
  business that misses a target. These are non-blocking WARN checks: measured, kept here, shown in the run
  summary, the reports and alerts, and the snapshot is published. A target with nothing to measure (no
  closed period yet) is *not measurable*, never a pass: ``not_measurable`` builds that outcome.
- ``plausibility`` (a spend day far outside its campaign's history): the data may be right or wrong and
  someone should look. A non-blocking WARN check, like a target: the rows are loaded, listed in an audit
  table, shown in the run summary and alerted (``spend_anomaly``); its status is ``flagged``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import dagster as dg
import duckdb

CheckKind = Literal["integrity", "target", "plausibility"]
INTEGRITY: CheckKind = "integrity"
TARGET: CheckKind = "target"
PLAUSIBILITY: CheckKind = "plausibility"
NOT_MEASURABLE = "not_measurable"


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
    kind: CheckKind = INTEGRITY
    measurable: bool = True

    @property
    def status(self) -> str:
        """passed, failed (integrity), missed (target), flagged (plausibility) or not_measurable (target with
        nothing to measure)."""
        if not self.measurable:
            return NOT_MEASURABLE
        if self.passed:
            return "passed"
        return {TARGET: "missed", PLAUSIBILITY: "flagged"}.get(self.kind, "failed")

    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "value": self.value,
            "threshold": self.threshold,
            "check_kind": self.kind,
            "check_status": self.status,
        }
        if self.description:
            metadata["summary"] = self.description
        for key, detail in self.details.items():
            metadata[key] = detail if isinstance(detail, int | float | str | bool) else json.dumps(detail, default=str)
        return {key: detail for key, detail in metadata.items() if detail is not None}


def target(
    name: str,
    *,
    value: float | None,
    threshold: float | None,
    met: bool,
    description: str,
    details: dict[str, Any] | None = None,
) -> CheckOutcome:
    """A business target that could be measured: met or missed, a warning either way (it never blocks)."""
    return CheckOutcome(
        name=name,
        passed=met,
        value=value,
        threshold=threshold,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        details=details or {},
        kind=TARGET,
    )


def not_measurable(
    name: str, reason: str, *, threshold: float | None = None, details: dict[str, Any] | None = None
) -> CheckOutcome:
    """A business target with nothing to measure: not passed, no value, "not measurable: <reason>"."""
    return CheckOutcome(
        name=name,
        passed=False,
        value=None,
        threshold=threshold,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"not measurable: {reason}",
        details=details or {},
        kind=TARGET,
        measurable=False,
    )


def plausibility(
    name: str,
    *,
    value: float,
    threshold: float | None,
    plausible: bool,
    description: str,
    details: dict[str, Any] | None = None,
) -> CheckOutcome:
    """A plausibility check: values far from their usual range flagged, a warning either way (it never blocks)."""
    return CheckOutcome(
        name=name,
        passed=plausible,
        value=value,
        threshold=threshold,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        details=details or {},
        kind=PLAUSIBILITY,
    )


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
            json.dumps(
                {"description": outcome.description, "kind": outcome.kind, "status": outcome.status, **outcome.details},
                default=str,
            ),
            evaluated_at,
        )
        for outcome in outcomes
    ]
    if rows:
        connection.executemany("insert into audit.dq_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
