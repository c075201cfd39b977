"""Job, schedule and landing-zone sensor for the full warehouse build.

The job runs in one process: DuckDB admits a single writer, so the steps take
turns on the warehouse file instead of racing for its lock. Concurrent runs are
queued by the instance (``dagster.yaml``: one run at a time).
"""

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.lib.ingest import discover_files
from orchestration.lib.settings import landing_dir
from orchestration.lib.sources import SOURCES

BUILD_JOB_NAME = "build_warehouse"

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
    """A digest of every landing file's name, size and mtime (cheap: no file is read)."""
    digest = hashlib.sha256()
    for spec in SOURCES:
        for landing_file in discover_files(root / spec.folder):
            digest.update(
                f"{spec.folder}/{landing_file.name}|{landing_file.size_bytes}|{landing_file.modified_at}\n".encode()
            )
    return digest.hexdigest()


@dg.sensor(
    name="landing_zone_sensor",
    job=build_warehouse_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a build when files are added to or changed in the landing zone.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    fingerprint = landing_fingerprint(landing_dir())
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed landing files")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=fingerprint)], cursor=fingerprint)
