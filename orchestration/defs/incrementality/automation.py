"""The weekly refit of the marketing-mix model, and the job that refits on demand.

The daily build reuses the saved fit unless its inputs changed; this job refits regardless and then
rebuilds the incrementality marts. Run it on demand with
``python -m orchestration.cli run --job mmm_refit``.
"""

import dagster as dg

from orchestration.defs.incrementality.assets import REFIT_TAG, SCHEMA

MMM_REFIT_JOB = "mmm_refit"

mmm_refit_job = dg.define_asset_job(
    name=MMM_REFIT_JOB,
    selection=dg.AssetSelection.groups(SCHEMA).downstream() - dg.AssetSelection.groups("reporting"),
    executor_def=dg.in_process_executor,
    description="Refit the marketing-mix model now and rebuild the incrementality marts.",
    tags={"dagster/max_retries": "0", REFIT_TAG: "true"},
)

mmm_weekly_refit = dg.ScheduleDefinition(
    name="mmm_weekly_refit",
    job=mmm_refit_job,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    description="Refit the marketing-mix model every Monday at 03:00 UTC, before the daily build.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
