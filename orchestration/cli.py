"""Command line: ``python -m orchestration.cli run`` builds the warehouse end to end.

It runs the ``build_warehouse`` job in this process (recorded in the Dagster
instance under ``DAGSTER_HOME``, so the run shows in the UI), prints progress
as it goes and a summary at the end, and exits non-zero when the run fails or
a check of ERROR severity fails.
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

import dagster as dg

from orchestration.lib import settings
from orchestration.lib.sql import quote_identifier
from orchestration.lib.warehouse import connect, warehouse_lock

SUMMARY_SCHEMAS = ("raw", "marts", "audit")


@dataclass(frozen=True)
class CheckLine:
    asset: str
    name: str
    passed: bool
    severity: str
    description: str


def _check_lines(result: dg.ExecuteInProcessResult) -> list[CheckLine]:
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        description = evaluation.description or ""
        summary = evaluation.metadata.get("summary")
        if summary is not None and not description:
            description = str(summary.value)
        lines.append(
            CheckLine(
                asset=evaluation.asset_key.to_user_string(),
                name=evaluation.check_name,
                passed=evaluation.passed,
                severity=evaluation.severity.value,
                description=description,
            )
        )
    return lines


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
                coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0)
            from audit.load_files where load_id = ?
            """,
            [run_id],
        ).fetchall()[0]
    files, loaded, rejected, duplicate, rows_read, rows_loaded, rows_rejected = row
    return (
        f"{files} new file(s): {loaded} loaded, {rejected} rejected, {duplicate} duplicate content; "
        f"{rows_read:,} rows read = {rows_loaded:,} loaded + {rows_rejected:,} rejected"
    )


def print_summary(result: dg.ExecuteInProcessResult, warehouse: Path, elapsed: float) -> int:
    """Print what the run built and checked; return the process exit code."""
    checks = _check_lines(result)
    failed_errors = [check for check in checks if not check.passed and check.severity == "ERROR"]
    failed_warnings = [check for check in checks if not check.passed and check.severity != "ERROR"]
    print("\n" + "=" * 78)
    print(f"Build summary  run {result.run_id}  ({elapsed:.1f} s)")
    print("=" * 78)
    if warehouse.exists():
        print(f"Files   {_load_summary(warehouse, result.run_id)}")
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
    failed_steps = [event.step_key for event in result.all_events if event.is_step_failure]
    for step in failed_steps:
        print(f"  STEP FAILED {step}")
    ok = result.success and not failed_errors
    print(f"Result  {'SUCCESS' if ok else 'FAILED'}  warehouse: {warehouse}")
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
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def step_timings(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds each step took, from the run's own event log."""
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


def run(job_name: str = "build_warehouse", *, log_level: str = "INFO", timings: Path | None = None) -> int:
    from orchestration.definitions import defs

    warehouse = settings.warehouse_path()
    landing = settings.landing_dir()
    if not landing.is_dir():
        print(f"error: landing zone {landing} does not exist (set ROI_LANDING_DIR)", file=sys.stderr)
        return 2
    print(f"Landing zone  {landing}")
    print(f"Warehouse     {warehouse}")
    print(f"Currency      {settings.reporting_currency()}")
    job = defs.resolve_job_def(job_name)
    started = time.monotonic()
    # The lock (re-entrant: the run's Warehouse resource takes it too) covers the summary's reads as well.
    with warehouse_lock(warehouse), _instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        elapsed = time.monotonic() - started
        if timings is not None:
            steps = step_timings(instance, result.run_id)
            timings.write_text(json.dumps({"run_seconds": round(elapsed, 3), "steps": steps}, indent=2))
        code = print_summary(result, warehouse, elapsed)
        deliver_alerts(warehouse, result.run_id, instance)
        return code


def prepare() -> int:
    """Parse the dbt project with the run's vars and warehouse, so the run's dbt can parse partially."""
    from orchestration.defs.resources import warehouse_from_env

    warehouse_from_env()  # ROI_WAREHOUSE as an absolute path, as the run's dbt will see it
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
        return run(arguments.job, log_level=arguments.log_level, timings=arguments.timings)
    return 2  # pragma: no cover - argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
