"""Command line: ``python -m orchestration.cli run`` builds the warehouse end to end.

It runs the ``build_warehouse`` job in this process (recorded in the Dagster
instance under ``DAGSTER_HOME``, so the run shows in the UI), prints progress
as it goes and a summary at the end, and exits non-zero when the run fails or
a data-integrity check (ERROR severity) fails. Business targets (data sync,
budget tracking, ROI accuracy, pacing error) are listed apart: a missed or
unmeasurable target is reported, never a reason to exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.lib import freshness, profiling, publish_gate, restatements, settings, spend_only
from orchestration.lib.sql import quote_identifier
from orchestration.lib.warehouse import connect, warehouse_lock

if TYPE_CHECKING:  # Dagster is imported when a build starts: a run with nothing to do never loads it
    import dagster as dg

    from orchestration.lib.spend_only import AssetGraph

SUMMARY_SCHEMAS = ("raw", "marts", "audit")
# Checks not run (after a failed step) named in the summary; the count is always given.
NOT_RUN_LISTED = 8


@dataclass(frozen=True)
class CheckLine:
    asset: str
    name: str
    passed: bool
    severity: str
    description: str
    kind: str = "integrity"  # or "target" (orchestration/lib/checks.py)
    status: str = ""  # passed, failed, missed, not_measurable ("" for checks that do not say)
    integrity_failure: bool = False  # publish_gate.is_integrity_failure: holds the snapshot back

    @property
    def is_target(self) -> bool:
        return self.kind == "target"


def _check_lines(result: dg.ExecuteInProcessResult) -> list[CheckLine]:
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        description = evaluation.description or ""
        summary = evaluation.metadata.get("summary")
        if summary is not None and not description:
            description = str(summary.value)
        kind, status = evaluation.metadata.get("check_kind"), evaluation.metadata.get("check_status")
        lines.append(
            CheckLine(
                asset=evaluation.asset_key.to_user_string(),
                name=evaluation.check_name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=description,
                kind=str(kind.value) if kind is not None else "integrity",
                status=str(status.value) if status is not None else "",
                integrity_failure=publish_gate.is_integrity_failure(evaluation),
            )
        )
    return lines


def _failed_steps(result: dg.ExecuteInProcessResult) -> list[tuple[str, str]]:
    """(step, the first line of its error) of every failed step, so the summary says why."""
    failed = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        message = (error.message if error is not None else "").strip().splitlines()
        failed.append((event.step_key or "", message[0] if message else ""))
    return failed


def _table_counts(warehouse: Path) -> list[tuple[str, int]]:
    with connect(warehouse, read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (?, ?, ?) and table_type = 'BASE TABLE' order by 1, 2",
            list(SUMMARY_SCHEMAS),
        ).fetchall()
        counts = []
        for schema, table in tables:
            relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"  # from the catalog, quoted
            count = connection.execute(f"select count(*) from {relation}").fetchall()[0][0]  # noqa: S608
            counts.append((f"{schema}.{table}", count))
        return counts


def _load_summary(warehouse: Path, run_id: str) -> str:
    with connect(warehouse, read_only=True) as connection:
        row = connection.execute(
            """
            select count(*),
                count(*) filter (where status = 'loaded'),
                count(*) filter (where status = 'rejected'),
                count(*) filter (where status = 'duplicate_content'),
                coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0),
                count(*) filter (where status = 'unrecognised')
            from audit.load_files where load_id = ?
            """,
            [run_id],
        ).fetchall()[0]
    files, loaded, rejected, duplicate, rows_read, rows_loaded, rows_rejected, unrecognised = row
    return (
        f"{files} new file(s): {loaded} loaded, {rejected} rejected, {duplicate} duplicate content"
        + (f", {unrecognised} unrecognised path(s) (see audit.load_files)" if unrecognised else "")
        + f"; {rows_read:,} rows read = {rows_loaded:,} loaded + {rows_rejected:,} rejected"
    )


def _restatement_summary(warehouse: Path, run_id: str) -> list[str]:
    """The ``Restated`` section: each restatement this run's load applied, and the name-order traps."""
    with connect(warehouse, read_only=True) as connection:
        applied = restatements.restatements_of_load(connection, run_id)
    if not applied:
        return []
    heading = f"Restated {len(applied)} file pair(s) (a later file replaces an earlier file's keys)"
    return [heading, *restatements.summary_lines(applied)]


def print_summary(
    result: dg.ExecuteInProcessResult, warehouse: Path, elapsed: float, instance: dg.DagsterInstance | None = None
) -> int:
    """Print what the run built and checked; return the process exit code."""
    lines = _check_lines(result)
    targets = [check for check in lines if check.is_target]
    checks = [check for check in lines if not check.is_target]
    failed_errors = [check for check in checks if check.integrity_failure]
    failed_warnings = [check for check in checks if not check.passed and not check.integrity_failure]
    missed = [target for target in targets if not target.passed and target.status != "not_measurable"]
    unmeasurable = [target for target in targets if target.status == "not_measurable"]
    print("\n" + "=" * 78)
    print(f"Build summary  run {result.run_id}  ({elapsed:.1f} s)")
    print("=" * 78)
    if warehouse.exists():
        print(f"Files   {_load_summary(warehouse, result.run_id)}")
        for line in _restatement_summary(warehouse, result.run_id):
            print(line)
        print("Tables")
        for table, count in _table_counts(warehouse):
            print(f"  {table:<52} {count:>12,} rows")
    print(
        f"Checks  {len(checks) - len(failed_errors) - len(failed_warnings)} passed, "
        f"{len(failed_warnings)} warning(s), {len(failed_errors)} failed"
    )
    for check in failed_errors + failed_warnings:
        label = "FAILED " if check.severity == "ERROR" else "WARNING"
        print(f"  {label} {check.asset} :: {check.name}  {check.description}")
    for step, reason in _failed_steps(result):
        print(f"  STEP FAILED {step}  {reason}")
    run_ids = getattr(result, "run_ids", [result.run_id])  # a spend-only build is two runs (StagedResult)
    planned = set() if instance is None else publish_gate.planned_by_runs(instance, run_ids)
    evaluations = result.get_asset_check_evaluations()
    not_run = publish_gate.not_evaluated(planned, evaluations)
    if not_run:
        shown = ", ".join(not_run[:NOT_RUN_LISTED]) + (", …" if len(not_run) > NOT_RUN_LISTED else "")
        print(f"  NOT RUN {len(not_run)} check(s) planned but not run (a step failed or was skipped): {shown}")
    print(
        f"Targets {len(targets) - len(missed) - len(unmeasurable)} met, {len(missed)} missed, "
        f"{len(unmeasurable)} not measurable (business targets: reported and alerted, never blocking)"
    )
    for target in missed:
        print(f"  MISSED  {target.asset} :: {target.name}  {target.description}")
    for target in unmeasurable:
        print(f"  NOT MEASURABLE  {target.asset} :: {target.name}  {target.description}")
    # The publish gate's rule: a failed integrity check, or a planned check that never ran (its step was
    # skipped, even without a failed step), means nothing was published.
    ok = result.success and publish_gate.refusal(planned, evaluations) is None
    verdict = "SUCCESS" if ok else "FAILED"
    if ok and missed:
        names = ", ".join(sorted({target.name for target in missed}))
        verdict += f" with {len(missed)} business target(s) missed ({names}); the snapshot is published"
    print(f"Result  {verdict}  warehouse: {warehouse}")
    return 0 if ok else 1


def deliver_alerts(warehouse: Path, run_id: str, instance: dg.DagsterInstance) -> None:
    """Evaluate alert conditions after the run and deliver what is new, when a channel is configured.

    Runs whether the build passed or not (failed checks are what alerts are for) and never changes the
    exit code: a delivery failure is recorded in ``audit.alert_history`` and retried next time.
    """
    from orchestration.lib.alerting.engine import alert_delivery_configured, evaluate_and_deliver

    if not alert_delivery_configured() or not warehouse.exists():
        return
    outcome = evaluate_and_deliver(warehouse, run_id=run_id, instance=instance, wait_for_lock_seconds=30)
    print(f"Alerts  {outcome.summary()}")


def _instance() -> dg.DagsterInstance:
    """The persistent instance under ``DAGSTER_HOME`` (so runs show in the UI), else a throwaway one."""
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def step_timings(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds each step took, from the run's own event log."""
    import dagster as dg

    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        timestamp = entry.timestamp
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            durations[event.step_key] = round(timestamp - started.get(event.step_key, timestamp), 3)
    return durations


def nothing_to_do(warehouse: Path, inputs: dict[str, str]) -> freshness.LastBuild | None:
    """The last successful build, when nothing it read has changed since and its snapshot is in place."""
    last = freshness.last_build(warehouse)
    if last is None or last.fingerprint != freshness.fingerprint(inputs):
        return None
    return last if freshness.snapshot_exists(warehouse) else None


def report_nothing_to_do(warehouse: Path, last: freshness.LastBuild, elapsed: float) -> int:
    print("\n" + "=" * 78)
    print(f"Nothing to do  ({elapsed:.1f} s)")
    print("=" * 78)
    print("Files   0 new file(s): no landing file is new or changed")
    print(f"Inputs  landing zone, config, code and dbt project unchanged since run {last.run_id}")
    print(f"        ({last.recorded_at:%Y-%m-%d %H:%M:%S} UTC); nothing rebuilt (--force to rebuild)")
    print(f"Result  SUCCESS  warehouse: {warehouse}")
    if warehouse.exists():
        # A delivery that failed last time is retried, as after any run (evaluated on the last run's results).
        from orchestration.lib.alerting.engine import alert_delivery_configured, evaluate_and_deliver

        if alert_delivery_configured():
            outcome = evaluate_and_deliver(warehouse, run_id=last.run_id, wait_for_lock_seconds=30)
            print(f"Alerts  {outcome.summary()}")
    return 0


def build_mode(warehouse: Path, inputs: dict[str, str], *, force: bool, full_build: bool) -> spend_only.Decision | None:
    """Full or spend-only (lib/spend_only.py), printed before the run starts; None for other jobs."""
    if not full_build:
        return None
    if force:
        decision = spend_only.Decision(spend_only.FULL, "--force")
    else:
        last = freshness.last_build(warehouse)
        decision = spend_only.decide(None if last is None else last.inputs, inputs, "" if last is None else last.run_id)
    print(f"Mode          {decision.mode} build: {decision.reason}")
    return decision


@dataclass
class StagedResult:
    """The runs of a spend-only build, read as one run by the summary (the first run's id names it)."""

    results: list[dg.ExecuteInProcessResult]
    note: str = ""

    @property
    def run_id(self) -> str:
        return self.results[0].run_id

    @property
    def run_ids(self) -> list[str]:
        return [result.run_id for result in self.results]

    @property
    def success(self) -> bool:
        return all(result.success for result in self.results)

    @property
    def all_events(self) -> list[dg.DagsterEvent]:
        return [event for result in self.results for event in result.all_events]

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [evaluation for result in self.results for evaluation in result.get_asset_check_evaluations()]


def run_spend_only(
    defs: dg.Definitions,
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    warehouse: Path,
    decision: spend_only.Decision,
    run_config: dict,
) -> StagedResult:
    """Stage one (what reads no journey data), then stage two (what reads a stage-one table that changed).

    lib/spend_only.py says how the stages are drawn from the asset graph. A failed step of stage one ends the
    build there; a failed data-integrity check does not (every table is rebuilt, as in a full build): stage
    two's snapshot step reads stage one's checks too and holds the snapshot back (lib/publish_gate.py).
    """
    import dagster as dg

    from orchestration.defs.pipeline.automation import build_warehouse_job

    graph = defs.resolve_asset_graph()
    stages = spend_only.stages(graph, decision.sources, build_warehouse_job.selection, spend_only.check_inputs(defs))
    # dagster-dbt selects a subset's models by name, dropping the asset's `exclude`: dbt would run the unit
    # tests of the selected models, which the build leaves to `make test` (defs/dbt/assets.py CODE_TESTS).
    previous = os.environ.get("DBT_EXCLUDE_RESOURCE_TYPES")
    os.environ["DBT_EXCLUDE_RESOURCE_TYPES"] = "unit_test"
    try:
        return _run_stages(job, instance, warehouse, graph, stages, run_config)
    except dg.DagsterInvalidSubsetError as error:
        # A step that cannot run part of its assets or checks: any doubt is a full build.
        print(f"Mode          full build after all: a stage cannot be selected ({str(error).splitlines()[0][:200]})")
        os.environ.pop("DBT_EXCLUDE_RESOURCE_TYPES", None)
        return StagedResult([job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)])
    finally:
        if previous is None:
            os.environ.pop("DBT_EXCLUDE_RESOURCE_TYPES", None)
        else:
            os.environ["DBT_EXCLUDE_RESOURCE_TYPES"] = previous


def _run_stages(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    warehouse: Path,
    graph: AssetGraph,
    stages: spend_only.Stages,
    run_config: dict,
) -> StagedResult:
    from orchestration.defs.ingest.assets import LANDING_ZONE_KEY
    from orchestration.defs.publish.assets import SNAPSHOT_KEY, SNAPSHOT_STEP

    # Real-time budget tracking: stage one's tables (pacing among them) are published as soon as they are
    # checked; its snapshot step is gated by stage one's checks like any other.
    early = {SNAPSHOT_KEY} if settings.config().realtime.publish_after_stage_one else set()
    with connect(warehouse, read_only=True) as connection:
        before = spend_only.relation_digests(connection, stages.frontier)
    first = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=run_config,
        asset_selection=sorted(stages.spend_side | {LANDING_ZONE_KEY} | early, key=lambda key: key.path),
        tags={"roi/build_mode": spend_only.SPEND_ONLY, "roi/stage": "1"},
    )
    # A snapshot refused by its gate (a data-integrity check failed) is not a failed stage: stage two still
    # rebuilds every table, as a full build does, and its own snapshot step refuses for the same checks.
    failed_steps = {event.step_key for event in first.get_step_failure_events()}
    if not first.success and failed_steps - {SNAPSHOT_STEP}:
        print("Stage 1 failed: stage 2 (journey-side readers of spend, the snapshot) not run")
        return StagedResult([first])
    with connect(warehouse, read_only=True) as connection:
        after = spend_only.relation_digests(connection, stages.frontier)
    kept = spend_only.unchanged(before, after)
    # The snapshot also copies the audit tables stage one wrote (the files loaded): it is always published.
    second = stages.second(graph, kept) | {SNAPSHOT_KEY}
    left = stages.affected - stages.spend_side - second
    print(
        f"Stage 1 rebuilt {len(stages.spend_side)} spend-side asset(s)"
        + (" and published them" if early and first.success else "")
        + "; unchanged frontier table(s): "
        + (", ".join(sorted(key.to_user_string() for key in kept)) or "none")
    )
    print(
        f"Stage 2 rebuilds {len(second)} journey-side asset(s) that read changed spend-side tables; "
        f"{len(left)} left as built (nothing they read changed)"
    )
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=run_config,
        asset_selection=sorted(second, key=lambda key: key.path),
        # The snapshot's gate reads stage one's checks too: a failed integrity check there holds it back.
        tags={"roi/build_mode": spend_only.SPEND_ONLY, "roi/stage": "2", publish_gate.CONTINUES_RUN_TAG: first.run_id},
    )
    return StagedResult([first, result])


def run(
    job_name: str = "build_warehouse",
    *,
    log_level: str = "INFO",
    timings: Path | None = None,
    force: bool = False,
) -> int:
    started = time.monotonic()
    warehouse = settings.warehouse_path()
    landing = settings.landing_dir()
    if not landing.is_dir():
        print(f"error: landing zone {landing} does not exist (set ROI_LANDING_DIR)", file=sys.stderr)
        return 2
    print(f"Landing zone  {landing}")
    print(f"Warehouse     {warehouse}")
    print(f"Currency      {settings.reporting_currency()}")
    # Only the full build is skipped when its inputs are unchanged; other jobs always run.
    full_build = job_name == "build_warehouse"
    # The lock (re-entrant: the run's Warehouse resource takes it too) covers the summary's reads as well,
    # and the fingerprint's check and record: a run that waited for another sees what that one built.
    with warehouse_lock(warehouse):
        inputs = freshness.build_inputs() if full_build else {}
        last = None if force or not full_build else nothing_to_do(warehouse, inputs)
        if last is not None:
            return report_nothing_to_do(warehouse, last, time.monotonic() - started)
        decision = build_mode(warehouse, inputs, force=force, full_build=full_build)
        freshness.clear(warehouse)
        from orchestration.definitions import defs

        job = defs.resolve_job_def(job_name)
        started = time.monotonic()  # the build itself, as before: loading the definitions is not counted
        run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
        with _instance() as instance:
            if decision is not None and decision.spend_only:
                result = run_spend_only(defs, job, instance, warehouse, decision, run_config)
            else:
                result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config)
            elapsed = time.monotonic() - started
            steps = {}
            for stage, run_id in enumerate(getattr(result, "run_ids", [result.run_id]), start=1):
                suffix = "" if stage == 1 else f" (stage {stage})"
                steps.update({f"{step}{suffix}": seconds for step, seconds in step_timings(instance, run_id).items()})
            if warehouse.exists():
                profiling.record(
                    warehouse,
                    result.run_id,
                    [profiling.StepTiming("dagster_step", step, seconds) for step, seconds in steps.items()]
                    + [profiling.StepTiming("dagster_run", job_name, round(elapsed, 3))],
                )
            if timings is not None:
                timings.write_text(
                    json.dumps(
                        {
                            "run_id": result.run_id,
                            "run_seconds": round(elapsed, 3),
                            "mode": decision.mode if decision is not None else spend_only.FULL,
                            "steps": steps,
                        },
                        indent=2,
                    )
                )
            code = print_summary(result, warehouse, elapsed, instance)
            if decision is not None:
                print(f"Mode    {decision.mode}: {decision.reason}")
            if code == 0 and full_build:
                freshness.record(warehouse, inputs, result.run_id)
            deliver_alerts(warehouse, result.run_id, instance)
            return code


def prepare() -> int:
    """Parse the dbt project with the run's vars and warehouse, so the run's dbt can parse partially."""
    # ROI_WAREHOUSE as an absolute path, as the run's dbt will see it (defs/resources.warehouse_from_env does
    # the same for the run; importing it here would load Dagster for nothing).
    os.environ["ROI_WAREHOUSE"] = str(settings.warehouse_path())
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), "parse", "--quiet", "--target", settings.DBT_TARGET, "--vars", json.dumps(settings.dbt_vars())]
    return subprocess.run(command, cwd=settings.DBT_PROJECT_DIR, check=False).returncode


def propose_budget(scenario: str, fiscal_year: int, out_dir: Path | None = None) -> int:
    """Write the budget proposal of ``scenario`` for ``fiscal_year`` (``finance/budgets`` format) to the
    reports folder, for finance to review (lib/optimisation/proposal.py says how it is built)."""
    from orchestration.lib.optimisation.proposal import proposal_from_warehouse
    from orchestration.lib.reporting.render import reports_root

    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse}; build it first (make run)", file=sys.stderr)
        return 1
    with connect(warehouse, read_only=True) as connection:
        try:
            proposal = proposal_from_warehouse(
                connection,
                scenario,
                fiscal_year,
                start_month=settings.config().budget.fiscal_year_start_month,
                currency=settings.reporting_currency(),
            )
        except LookupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    folder = out_dir or reports_root(warehouse) / "budget_proposals"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"budgets_FY{fiscal_year}_{scenario}.csv"
    proposal.rows.to_csv(path, index=False, float_format="%.2f")
    total = float(proposal.rows["amount"].sum()) if len(proposal.rows) else 0.0
    print(f"{path}: {len(proposal.rows)} rows, {total:,.2f} {settings.reporting_currency()} (approved_at empty)")
    for channel in proposal.unplaced_channels:
        print(f"warning: {channel} has a recommended spend but no budget line to put it on", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="roi", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="build the warehouse from the landing zone")
    run_parser.add_argument("--job", default="build_warehouse")
    run_parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run_parser.add_argument("--timings", type=Path, help="write per-step seconds to this JSON file")
    run_parser.add_argument(
        "--force", action="store_true", help="build even when no landing file, config or code changed"
    )
    commands.add_parser("prepare", help="parse the dbt project (writes target/manifest.json)")
    propose_parser = commands.add_parser("propose-budget", help="write a budget proposal from a budget scenario")
    propose_parser.add_argument("--scenario", required=True, help="e.g. reallocate_same_budget")
    propose_parser.add_argument("--fiscal-year", required=True, type=int, help="e.g. 2026 (FY2026)")
    propose_parser.add_argument("--out", type=Path, help="folder (default: <reports dir>/budget_proposals)")
    arguments = parser.parse_args(argv)
    if arguments.command == "propose-budget":
        return propose_budget(arguments.scenario, arguments.fiscal_year, arguments.out)
    if arguments.command == "prepare":
        return prepare()
    if arguments.command == "run":
        return run(arguments.job, log_level=arguments.log_level, timings=arguments.timings, force=arguments.force)
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
