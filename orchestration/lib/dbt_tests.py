"""dbt tests as check outcomes: described like every other check, and kept in ``audit.dq_results``.

dagster-dbt turns each dbt test into an asset check result that carries no description (only the
test's unique id and dbt's status), and nothing of it reaches the warehouse. ``outcome`` turns that
result into a ``CheckOutcome`` (``lib/checks.py``), the one shape every check of the project ends in:
its description says what the test asserts and on what (the test's own description, else the generic
test and its arguments), then what dbt found (failing rows, or why it could not run), so a failed dbt
test reads the same in the run summary, the alerts and ``audit.dq_results`` as a Great Expectations
suite or a Dagster check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from orchestration.lib.checks import INTEGRITY, CheckOutcome

# Arguments longer than this (SQL expressions, value lists) are cut in a description.
MAX_ARGUMENT_CHARS = 160
# The arguments every generic test gets, not worth repeating in its description.
_IMPLICIT_ARGUMENTS = {"model", "column_name"}


def _short(value: Any) -> str:
    text = ", ".join(str(item) for item in value) if isinstance(value, list | tuple) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= MAX_ARGUMENT_CHARS else text[: MAX_ARGUMENT_CHARS - 1] + "…"


def tested_relation(node: Mapping[str, Any]) -> str:
    """The model, seed or source the test is attached to, by name (``fx_conversion_errors``)."""
    attached = node.get("attached_node") or next(iter((node.get("depends_on") or {}).get("nodes") or []), "")
    return attached.rsplit(".", 1)[-1] if attached else ""


def describe(node: Mapping[str, Any]) -> str:
    """What the test asserts: its own description when it has one, else the generic test, target and arguments."""
    own = " ".join((node.get("description") or "").split())
    if own:
        return own
    metadata = node.get("test_metadata") or {}
    relation = tested_relation(node)
    kwargs = metadata.get("kwargs") or {}
    column = node.get("column_name") or kwargs.get("column_name")
    target = f"{relation}.{column}" if column else relation
    if not metadata.get("name"):
        return f"singular test {node.get('name', '')} ({node.get('original_file_path', '')}) returns no row"
    arguments = "; ".join(f"{key}: {_short(value)}" for key, value in kwargs.items() if key not in _IMPLICIT_ARGUMENTS)
    return f"{metadata['name']} on {target}" + (f" ({arguments})" if arguments else "")


def _result_text(status: str, failures: int | None, message: str) -> str:
    if status == "pass":
        return "passed"
    if status in ("fail", "warn") and failures is not None:
        return f"{failures:,} failing row(s)" + (f" ({message})" if message else "")
    return f"could not run (dbt status {status})" + (f": {message}" if message else "")


def outcome(
    check_name: str,
    *,
    node: Mapping[str, Any],
    status: str,
    failures: int | None,
    message: str = "",
) -> CheckOutcome:
    """The ``CheckOutcome`` of one dbt test result.

    ``status`` is dbt's (``pass``, ``fail``, ``warn``, ``error``), ``failures`` its count of failing rows
    (the measured value; the threshold is 0, what every test here is configured to allow), ``message``
    dbt's own words for a result that did not pass. The severity is the test's configured one, or WARN
    when dbt reported a warning.
    """
    status = (status or "").lower()
    configured = str((node.get("config") or {}).get("severity") or "error").upper()
    severity = dg.AssetCheckSeverity.WARN if status == "warn" or configured == "WARN" else dg.AssetCheckSeverity.ERROR
    message = " ".join((message or "").split())
    return CheckOutcome(
        name=check_name,
        passed=status == "pass",
        value=None if failures is None else float(failures),
        threshold=0.0,
        severity=severity,
        description=f"{describe(node)}: {_result_text(status, failures, message)}",
        details={
            "producer": "dbt",
            "unique_id": node.get("unique_id", ""),
            "dbt_status": status,
            "tested_relation": tested_relation(node),
        },
        kind=INTEGRITY,
    )
