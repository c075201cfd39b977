"""Jobs and schedules of the reports: weekly operational (Mondays), monthly executive (after the month closes).

Each schedule requests the partition of the period that just ended: the
previous ISO week on Monday, the previous month on ``reports.executive_day_of_month``
(after ``periods.close_grace_days``, when invoices and bookings are in).
"""

import dagster as dg

from orchestration.defs.reporting.assets import (
    executive_report,
    monthly_partitions,
    operational_report,
    weekly_partitions,
)
from orchestration.lib import settings
from orchestration.lib.periods import previous_month_key, previous_week_partition_key

_reports = settings.config().reports

executive_report_job = dg.define_asset_job(
    name="executive_report_job",
    selection=dg.AssetSelection.assets(executive_report),
    executor_def=dg.in_process_executor,
    description="Render (and e-mail) the executive report of one month.",
)

operational_report_job = dg.define_asset_job(
    name="operational_report_job",
    selection=dg.AssetSelection.assets(operational_report),
    executor_def=dg.in_process_executor,
    description="Render (and e-mail) the operational report of one ISO week.",
)


def _request(partitions: dg.PartitionsDefinition, key: str) -> dg.RunRequest | dg.SkipReason:
    if not partitions.has_partition_key(key):
        return dg.SkipReason(f"{key} is before the first report period ({_reports.first_period})")
    return dg.RunRequest(run_key=key, partition_key=key)


@dg.schedule(
    name="monthly_executive_report",
    job=executive_report_job,
    cron_schedule=f"0 {_reports.schedule_hour_utc} {_reports.executive_day_of_month} * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The executive report of the previous month, once it has closed.",
)
def monthly_executive_report(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    return _request(monthly_partitions, previous_month_key(context.scheduled_execution_time))


@dg.schedule(
    name="weekly_operational_report",
    job=operational_report_job,
    cron_schedule=f"0 {_reports.schedule_hour_utc} * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The operational report of the ISO week that ended on Sunday.",
)
def weekly_operational_report(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    return _request(weekly_partitions, previous_week_partition_key(context.scheduled_execution_time))
