"""The end-to-end build: one job, run daily and whenever new files land."""

import dagster as dg

from orchestration.defs.pipeline.automation import build_warehouse_job, daily_build_schedule, landing_zone_sensor
from orchestration.defs.pipeline.refresh import refresh_from_landing


def defs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[build_warehouse_job, refresh_from_landing],
        schedules=[daily_build_schedule],
        sensors=[landing_zone_sensor],
    )
