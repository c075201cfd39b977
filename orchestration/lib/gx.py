"""Great Expectations glue: the file context in ``expectations/``, suites as code, results as checks.

Suites are written in Python (``orchestration/defs/quality/suites.py``), saved
into the file context with ``add_or_update`` so they are reviewable as JSON,
and validated against a pandas frame read from DuckDB. Tables handed to GX are
marts or aggregates, never raw touchpoints.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from orchestration.lib.checks import CheckOutcome
from orchestration.lib.settings import EXPECTATIONS_DIR

DATASOURCE = "warehouse"
BATCH_DEFINITION = "whole_table"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def import_in_background() -> threading.Thread:
    """Start importing Great Expectations (about 4 s) on a daemon thread.

    The checks that use it run minutes, or at least the ingestion, after the
    code location loads; warming the import up meanwhile takes it off the
    critical path of a run. pandas is imported first on the calling thread so
    the two threads never race on the same half-initialised module.
    """
    import pandas  # noqa: F401

    thread = threading.Thread(target=importlib.import_module, args=("great_expectations",), daemon=True)
    thread.start()
    return thread


@cache
def get_context(project_root: Path = EXPECTATIONS_DIR) -> Any:
    """The GX file context rooted at ``expectations/`` (created on first use)."""
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    if context.variables.analytics_enabled is not False or context.variables.progress_bars != {"globally": False}:
        context.variables.analytics_enabled = False
        context.variables.progress_bars = {"globally": False}
        context.variables.save()
    return context


def validate_frame(suite: Any, frame: pd.DataFrame, asset_name: str, context: Any | None = None) -> Any:
    """Save ``suite`` into the context and validate ``frame`` against it."""
    context = context or get_context()
    suite = _saved(context, suite)
    try:  # reuse the saved datasource: re-adding it would give its assets new ids in the committed config
        datasource = context.data_sources.get(DATASOURCE)
    except KeyError:
        datasource = context.data_sources.add_pandas(name=DATASOURCE)
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name=asset_name)
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION)
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
    return batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)


def _comparable(value: Any) -> Any:
    """Numbers as floats (the stored JSON reads 0 back as 0.0), containers recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_comparable(item) for item in value]
    return str(value)


def _rules(suite: Any) -> list[tuple[str, str]]:
    return sorted(
        (expectation.expectation_type, json.dumps(_comparable(dict(expectation.configuration.kwargs)), sort_keys=True))
        for expectation in suite.expectations
    )


def _saved(context: Any, suite: Any) -> Any:
    """The suite as stored in the file context; rewritten only when its rules changed.

    ``add_or_update`` gives every expectation a fresh id, so saving on every
    run would rewrite the committed JSON each time with nothing changed.
    """
    try:
        stored = context.suites.get(suite.name)
    except Exception:  # GX raises its own not-found errors; any of them means "save it"
        stored = None
    if stored is not None and _rules(stored) == _rules(suite):
        return stored
    return context.suites.add_or_update(suite)


def _describe_failure(expectation_result: Any) -> dict[str, Any]:
    config = expectation_result.expectation_config
    result = expectation_result.result or {}
    kwargs = {key: value for key, value in config.kwargs.items() if key not in ("batch_id",)}
    return {
        "expectation": config.type,
        "kwargs": kwargs,
        "observed_value": result.get("observed_value"),
        "unexpected_count": result.get("unexpected_count"),
        "partial_unexpected_list": (result.get("partial_unexpected_list") or [])[:10],
    }


def to_outcome(
    check_name: str,
    validation: Any,
    *,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> CheckOutcome:
    """A suite's validation result as a ``CheckOutcome``: value = failed expectations, threshold 0."""
    statistics = validation.statistics
    failures = [_describe_failure(result) for result in validation.results if not result.success]
    evaluated = statistics["evaluated_expectations"]
    failed = statistics["unsuccessful_expectations"]
    return CheckOutcome(
        name=check_name,
        passed=bool(validation.success),
        value=float(failed),
        threshold=0.0,
        severity=severity,
        description=f"Great Expectations suite {validation.suite_name}: "
        f"{evaluated - failed}/{evaluated} expectations met",
        details={"suite": validation.suite_name, "evaluated": evaluated, "failed_expectations": failures},
    )
