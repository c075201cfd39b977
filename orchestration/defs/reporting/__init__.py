"""Reporting: the executive and operational reports (partitioned assets), their jobs and schedules."""

import dagster as dg

from orchestration.defs.reporting.assets import executive_report, operational_report
from orchestration.defs.reporting.automation import (
    executive_report_job,
    monthly_executive_report,
    operational_report_job,
    weekly_operational_report,
)


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[executive_report, operational_report],
        jobs=[executive_report_job, operational_report_job],
        schedules=[monthly_executive_report, weekly_operational_report],
    )
