"""The weekly refit of the marketing-mix model, and the job that refits on demand.

The daily build reuses the saved fit unless its inputs changed; this job refits regardless (the
incrementality marts are views over the model's tables) and publishes a new snapshot. Run it on demand with
``python -m orchestration.cli run --job mmm_refit``.
"""

import dagster as dg

from orchestration.defs.incrementality.assets import REFIT_TAG, TABLES
from orchestration.defs.publish.assets import SNAPSHOT_KEY

MMM_REFIT_JOB = "mmm_refit"

mmm_refit_job = dg.define_asset_job(
    name=MMM_REFIT_JOB,
    # The marts over the model's tables are views: the refit and a new snapshot for BI readers suffice.
    selection=dg.AssetSelection.assets(*TABLES) | dg.AssetSelection.assets(SNAPSHOT_KEY),
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
