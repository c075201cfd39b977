"""Job, schedule and landing-zone sensor for the full warehouse build.

The job runs in one process: DuckDB admits a single writer, so the steps take
turns on the warehouse file instead of racing for its lock. Concurrent runs are
queued by the instance (``dagster.yaml``: one run at a time).

The landing-zone sensor's cursor is the fingerprint of the landing zone last
*built*: it moves only once a run for those files succeeded. A run that failed
(a data-integrity check, a crash) leaves the cursor where it was, and the same
files are tried again, at most ``MAX_BUILD_ATTEMPTS`` times per fingerprint;
after that the sensor waits for the files to change (the daily schedule still
rebuilds).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration.defs.pipeline.refresh import REFRESH_JOB_NAME, refresh_from_landing
from orchestration.lib import freshness, spend_only
from orchestration.lib.ingest import discover_files
from orchestration.lib.landing import scan_landing_zone
from orchestration.lib.settings import config, landing_dir, warehouse_path
from orchestration.lib.sources import SOURCES

BUILD_JOB_NAME = "build_warehouse"
# The tag every sensor-requested run carries: the landing fingerprint it builds.
FINGERPRINT_TAG = "roi/landing_fingerprint"
# Runs the sensor starts for one unchanged landing zone before it gives up until the files change.
MAX_BUILD_ATTEMPTS = 3

build_warehouse_job = dg.define_asset_job(
    name=BUILD_JOB_NAME,
    # The reports are partitioned by period and run on their own schedules (defs/reporting).
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reporting"),
    executor_def=dg.in_process_executor,
    description="Load new landing files, build every dbt model and run every check.",
    tags={"dagster/max_retries": "0"},
)

daily_build_schedule = dg.ScheduleDefinition(
    name="daily_build",
    job=build_warehouse_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="Rebuild the warehouse every morning at 06:00 UTC.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint(root: Path) -> str:
    """A digest of every landing file's name, size and mtime (cheap: no landing file is read), and of every
    other path of the landing zone (lib/landing.py; a stray file's header line is read to name it)."""
    digest = hashlib.sha256()
    for spec in SOURCES:
        for landing_file in discover_files(root / spec.folder):
            digest.update(
                f"{spec.folder}/{landing_file.name}|{landing_file.size_bytes}|{landing_file.modified_at}\n".encode()
            )
    # Paths that are not landing files (unrecognised, links): adding, moving or removing one is a change.
    for line in scan_landing_zone(root).digest_lines():
        digest.update(line.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Decision:
    """What the sensor does on one tick: the new ``built`` fingerprint, and a run to request or why not."""

    built: str | None
    run_key: str | None = None
    skip_reason: str | None = None


IN_PROGRESS = frozenset(
    {
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    }
)


def built_fingerprint(cursor: str | None) -> str | None:
    """The fingerprint last built, from the cursor (a bare fingerprint: the format before ``{"built": ...}``)."""
    if not cursor:
        return None
    try:
        return json.loads(cursor).get("built")
    except (ValueError, AttributeError):
        return cursor


def decide(fingerprint: str, built: str | None, latest_status: dg.DagsterRunStatus | None, attempts: int) -> Decision:
    """The sensor's rule, given the latest run for ``fingerprint`` (None: none yet) and how many there were."""
    if fingerprint == built:
        return Decision(built, skip_reason="no new or changed landing files")
    if latest_status is None:
        return Decision(built, run_key=f"{fingerprint}:1")
    if latest_status in IN_PROGRESS:
        return Decision(built, skip_reason="a build of these landing files is in progress")
    if latest_status == dg.DagsterRunStatus.SUCCESS:
        return Decision(fingerprint, skip_reason="these landing files are built")
    if attempts < MAX_BUILD_ATTEMPTS:
        return Decision(built, run_key=f"{fingerprint}:{attempts + 1}")
    return Decision(
        built,
        skip_reason=f"the last {attempts} builds of these landing files failed; waiting for the files to change "
        "(the daily build still runs)",
    )


def recorded_landing() -> str | None:
    """The landing fingerprint of the warehouse's last recorded build (lib/freshness.py), if any."""
    last = freshness.last_build(warehouse_path())
    return None if last is None else last.inputs.get("landing")


def spend_only_due(fingerprint: str) -> spend_only.Decision | None:
    """The spend-only decision for the landing zone as it is, when the warehouse's last recorded build (by
    ``make run`` or a refresh run) is of an earlier state of it; None otherwise."""
    last = freshness.last_build(warehouse_path())
    if last is None or last.inputs.get("landing") == fingerprint:
        return None
    decision = spend_only.decide(last.inputs, freshness.build_inputs(), last.run_id)
    return decision if decision.spend_only else None


@dg.sensor(
    name="landing_zone_sensor",
    jobs=[build_warehouse_job, refresh_from_landing],
    minimum_interval_seconds=config().realtime.landing_sensor_interval_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a build when files are added to or changed in the landing zone (a spend-only run when "
    "only spend-side files changed); the files count as built only once a run succeeds (a failed run is "
    f"retried, up to {MAX_BUILD_ATTEMPTS} runs per change).",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    fingerprint = landing_fingerprint(landing_dir())
    built = built_fingerprint(context.cursor)
    if fingerprint != built and recorded_landing() == fingerprint:
        # `make run` (or a refresh run) built exactly these files: nothing to start, on the daemon's first
        # tick either.
        return dg.SensorResult(
            skip_reason="these landing files are built (recorded in audit.build_fingerprint)",
            cursor=json.dumps({"built": fingerprint}),
        )
    latest_status, attempts = None, 0
    if fingerprint != built:
        # Only the sensor's runs carry the tag: a full build or a spend-only refresh of these files.
        runs_filter = dg.RunsFilter(tags={FINGERPRINT_TAG: fingerprint})
        latest = context.instance.get_runs(filters=runs_filter, limit=1)
        if latest:
            latest_status = latest[0].status
            attempts = context.instance.get_runs_count(filters=runs_filter)
    decision = decide(fingerprint, built, latest_status, attempts)
    cursor = json.dumps({"built": decision.built})
    if decision.run_key is None:
        return dg.SensorResult(skip_reason=decision.skip_reason, cursor=cursor)
    spend_only_decision = spend_only_due(fingerprint)
    if spend_only_decision is not None:
        request = dg.RunRequest(
            run_key=decision.run_key,
            job_name=REFRESH_JOB_NAME,
            tags={FINGERPRINT_TAG: fingerprint, "roi/build_mode": spend_only.SPEND_ONLY},
        )
        context.log.info(f"spend-only run: {spend_only_decision.reason}")
    else:
        request = dg.RunRequest(run_key=decision.run_key, job_name=BUILD_JOB_NAME, tags={FINGERPRINT_TAG: fingerprint})
    return dg.SensorResult(run_requests=[request], cursor=cursor)
