"""The report schedules ask for the period that just ended; the partitions follow the config's first period."""

import datetime as dt

import dagster as dg

from orchestration.defs.reporting import assets, automation


def test_the_monthly_executive_report_runs_after_close_for_the_previous_month():
    schedule = automation.monthly_executive_report
    assert schedule.cron_schedule == "0 7 12 * *"  # day 12: after the 10 close days of periods.close_grace_days
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 3, 12, 7, tzinfo=dt.UTC))
    request = schedule(context)
    assert isinstance(request, dg.RunRequest)
    assert (request.partition_key, request.run_key) == ("2026-02", "2026-02")


def test_the_weekly_operational_report_runs_on_monday_for_the_week_that_ended():
    schedule = automation.weekly_operational_report
    assert schedule.cron_schedule == "0 7 * * 1"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 2, 9, 7, tzinfo=dt.UTC))
    assert schedule(context).partition_key == "2026-W06-1"


def test_a_schedule_before_the_first_period_skips():
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2025, 1, 12, 7, tzinfo=dt.UTC))
    result = automation.monthly_executive_report(context)
    assert isinstance(result, dg.SkipReason) and "before the first report period" in (result.skip_message or "")


def test_partitions_start_with_the_configured_period_and_include_the_current_one():
    assert assets.monthly_partitions.get_first_partition_key() == "2025-01"
    assert assets.weekly_partitions.get_first_partition_key() == "2025-W01-1"
    now = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)
    assert assets.monthly_partitions.get_partition_keys(current_time=now)[-1] == "2026-02"
    assert assets.weekly_partitions.get_partition_keys(current_time=now)[-1] == "2026-W08-1"
    window = assets.weekly_partitions.time_window_for_partition_key("2026-W06-1")
    assert (window.start.date(), window.end.date()) == (dt.date(2026, 2, 2), dt.date(2026, 2, 9))


def test_reports_have_their_own_jobs_and_group():
    assert automation.executive_report_job.name == "executive_report_job"
    assert automation.operational_report_job.name == "operational_report_job"
    assert assets.executive_report.group_names_by_key[assets.EXECUTIVE_KEY] == "reporting"
