"""The one rule that holds the snapshot back: what a run's checks found, read from its event log.

Data-integrity checks (ERROR severity, ``lib/checks.py``) are not Dagster-blocking: a failed one does not
stop the steps after it, so every warehouse table is still rebuilt and analysts can query the data that
explains the failure. What a failure holds back is the publish step (``defs/publish``): the snapshot, and
with it everything that reads the snapshot, stays as the last good build left it. The publish step runs
after every check step of its run (it has the lowest step priority) and refuses, naming them, when

- a check with ERROR severity failed (a data-integrity failure, or an MMM fit that did not converge), or
- a check the run planned was not evaluated (its step failed or was skipped: a check that could not run
  proves nothing).

A spend-only build is two runs (``cli.py``): the second carries ``CONTINUES_RUN_TAG`` with the first's id,
and its gate reads the checks of both. The CLI's summary reads the same functions: its FAILED lines
(``is_integrity_failure``), its NOT RUN line (``not_evaluated``) and its verdict and exit code (``refusal``),
so a run whose steps were skipped without a failure (nothing published) never reads SUCCESS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module before it decides whether a run needs Dagster at all
    import dagster as dg

# On a run that continues another one (a spend-only build's second stage): the id of the run it continues.
CONTINUES_RUN_TAG = "roi/continues_run"


def label(asset_key: dg.AssetKey, check_name: str) -> str:
    """``asset :: check``, as the run summary names a check."""
    return f"{asset_key.to_user_string()} :: {check_name}"


def is_integrity_failure(evaluation: dg.AssetCheckEvaluation) -> bool:
    """A failed check with ERROR severity (business targets and plausibility flags are WARN)."""
    return not evaluation.passed and evaluation.severity.value == "ERROR"


def integrity_failures(evaluations: Iterable[dg.AssetCheckEvaluation]) -> list[str]:
    """Every failed check with ERROR severity, labelled."""
    return [
        label(evaluation.asset_key, evaluation.check_name)
        for evaluation in evaluations
        if is_integrity_failure(evaluation)
    ]


def not_evaluated(planned: Iterable[str], evaluations: Iterable[dg.AssetCheckEvaluation]) -> list[str]:
    """The planned checks (labels) that have no evaluation, sorted."""
    evaluated = {label(evaluation.asset_key, evaluation.check_name) for evaluation in evaluations}
    return sorted(set(planned) - evaluated)


def refusal(planned: Iterable[str], evaluations: Iterable[dg.AssetCheckEvaluation]) -> str | None:
    """Why the snapshot must not be published after these check results, or None when it may be."""
    evaluations = list(evaluations)
    failed = integrity_failures(evaluations)
    missing = not_evaluated(planned, evaluations)
    reasons = []
    if failed:
        reasons.append(f"{len(failed)} data-integrity check(s) failed: {', '.join(failed)}")
    if missing:
        reasons.append(f"{len(missing)} check(s) planned but not evaluated: {', '.join(missing)}")
    if not reasons:
        return None
    return "snapshot not published, the previous one is kept: " + "; ".join(reasons)


def run_evaluations(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetCheckEvaluation]:
    """Every check evaluation the run has recorded so far."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    return [
        record.event_log_entry.dagster_event.event_specific_data
        for record in records
        if record.event_log_entry.dagster_event is not None
    ]


def planned_checks(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """Labels of every check the run planned.

    The plan is recorded when the run is created, before execution: it is in the run's event log, not in
    an in-process result's events.
    """
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED).records
    planned = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.event_specific_data is not None:
            planned.add(label(event.event_specific_data.asset_key, event.event_specific_data.check_name))
    return planned


def planned_by_runs(instance: dg.DagsterInstance, run_ids: Iterable[str]) -> set[str]:
    """Labels of every check any of these runs planned (a spend-only build is two runs, read as one)."""
    return set().union(*(planned_checks(instance, run_id) for run_id in run_ids))


def refusal_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str | None:
    """``refusal`` over the checks of this run and of the run it continues, if any."""
    run_ids = [run.run_id, *([run.tags[CONTINUES_RUN_TAG]] if CONTINUES_RUN_TAG in run.tags else [])]
    return refusal(
        planned_by_runs(instance, run_ids),
        [evaluation for run_id in run_ids for evaluation in run_evaluations(instance, run_id)],
    )
