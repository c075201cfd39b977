"""Reporting periods: strict keys (they name folders), ISO weeks, and what each schedule asks for."""

import datetime as dt

import pytest

from orchestration.lib import periods


def test_a_month_runs_from_its_first_to_its_last_day():
    february = periods.month("2024-02")
    assert (february.first_date, february.last_date) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    december = periods.month("2025-12")
    assert (december.first_date, december.last_date) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert december.label == "December 2025"


@pytest.mark.parametrize("key", ["2025-13", "2025-1", "25-01", "2025-01/../..", "../2025-01", "2025-01\n", ""])
def test_anything_but_yyyy_mm_is_refused(key: str):
    with pytest.raises(ValueError, match="not a month"):
        periods.month(key)


def test_an_iso_week_is_monday_to_sunday_and_takes_the_partition_form_too():
    week = periods.iso_week("2025-W07")
    assert (week.first_date, week.last_date) == (dt.date(2025, 2, 10), dt.date(2025, 2, 16))
    assert periods.iso_week("2025-W07-1") == week
    # ISO week 1 of 2025 starts in 2024; 2026 has 53 weeks, 2025 only 52.
    assert periods.iso_week("2025-W01").first_date == dt.date(2024, 12, 30)
    assert periods.iso_week("2026-W53").last_date == dt.date(2027, 1, 3)
    with pytest.raises(ValueError):
        periods.iso_week("2025-W53")


@pytest.mark.parametrize("key", ["2025-W00", "2025-W54", "2025-W7", "2025-W07-2", "2025W07", "2025-W07/x"])
def test_malformed_weeks_are_refused(key: str):
    with pytest.raises(ValueError):
        periods.iso_week(key)


def test_partition_keys_round_trip_through_strptime_like_dagster_parses_them():
    key = periods.week_partition_key(dt.date(2025, 2, 13))
    assert key == "2025-W07-1"
    assert dt.datetime.strptime(key, periods.WEEK_PARTITION_FORMAT).date() == dt.date(2025, 2, 10)
    assert periods.first_week_partition_key("2025-01") == "2025-W01-1"


def test_schedules_ask_for_the_period_that_just_ended():
    assert periods.previous_month_key(dt.datetime(2026, 3, 12, 7, tzinfo=dt.UTC)) == "2026-02"
    assert periods.previous_month_key(dt.date(2026, 1, 12)) == "2025-12"
    # Monday 9 Feb 2026 reports on ISO week 6 (2-8 Feb).
    assert periods.previous_week_partition_key(dt.datetime(2026, 2, 9, 7, tzinfo=dt.UTC)) == "2026-W06-1"
    # Monday 5 Jan 2026 reports on 29 Dec 2025 - 4 Jan 2026: ISO week 1 of 2026 (1 Jan 2026 is a Thursday).
    assert periods.previous_week_partition_key(dt.date(2026, 1, 5)) == "2026-W01-1"


def test_months_between_is_inclusive():
    assert periods.months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
