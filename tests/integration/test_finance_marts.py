"""The finance marts end to end: reconciliation, budget vs actual, pacing and their accuracy checks.

The landing zone is generated fresh (another seed than the shipped sample) and every expected figure comes
from the generator's own exact computation (``_truth/``) or is recomputed here from the landing files and the
spend mart with plain Python, never read back from the code under test. The last tests build small landing
zones of their own: invoices missing (the data sync target is missed, reported, alerted, and the snapshot
published), a lost row as well (the snapshot is held back), and no closed period (targets not measurable).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib import finance, snapshot
from orchestration.lib.settings import load_config
from tests.integration.conftest import Pipeline, generate_landing, open_instance, pipeline_env, run_cli
from tests.loopback import WebhookSink

HALF_CENT = Decimal("0.005")
CONFIG = load_config(Path(__file__).resolve().parents[2] / "config" / "roi.yml")
FX_MAX_STALENESS_DAYS = 7


def read_truth(pipeline: Pipeline, name: str) -> list[dict[str, str]]:
    with (pipeline.truth / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def manifest(pipeline: Pipeline) -> dict:
    return json.loads((pipeline.truth / "manifest.json").read_text(encoding="utf-8"))


def money(value: object) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def assert_cents(actual: object, expected: object, label: object) -> None:
    actual_money, expected_money = money(actual), money(expected)
    if expected_money is None:
        assert actual_money is None, label
    else:
        assert actual_money is not None and abs(actual_money - expected_money) <= HALF_CENT, (
            label,
            actual_money,
            expected_money,
        )


def dq_results(db: duckdb.DuckDBPyConnection, check_name: str) -> list[tuple]:
    return db.execute(
        "select passed, severity, measured_value, threshold, details from audit.dq_results where check_name = ?",
        [check_name],
    ).fetchall()


# ---------------------------------------------------------------- reconciliation


def records(db: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """Rows as dicts, money as exact Decimals."""
    cursor = db.execute(sql)
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def reconciliation_rows(db: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], dict]:
    return {
        (row["platform"], row["platform_account_id"], row["billing_period"]): row
        for row in records(db, "select * from marts.fct_spend_reconciliation")
    }


def test_every_planted_reconciliation_case_has_its_status_and_figures(built: Pipeline, db):
    rows = reconciliation_rows(db)
    cases = read_truth(built, "reconciliation_cases.csv")
    assert {case["expected_status"] for case in cases} == set(finance.RECONCILIATION_STATUSES)
    for case in cases:
        key = (case["platform"], case["platform_account_id"], case["billing_period"])
        row = rows[key]
        assert row["status"] == case["expected_status"], case["case"]
        assert row["currency"] == case["currency"], case["case"]
        assert_cents(row["platform_spend"], case["platform_spend"], case["case"])
        assert_cents(row["invoiced_amount"], case["invoiced_amount"], case["case"])
        assert_cents(row["difference"], case["difference"], case["case"])
        assert row["is_closed"], case["case"]


def test_a_void_invoice_bills_nothing_and_its_reissue_is_matched(built: Pipeline, db):
    (case,) = [case for case in read_truth(built, "reconciliation_cases.csv") if case["case"] == "void_and_reissued"]
    row = reconciliation_rows(db)[(case["platform"], case["platform_account_id"], case["billing_period"])]
    assert (row["posted_invoice_count"], row["void_invoice_count"]) == (1, 1)
    assert row["invoice_ids"].endswith("-R1")
    assert row["status"] == "matched"


def test_every_closed_account_month_is_reconciled_to_the_cent(built: Pipeline, db):
    expected = {
        (row["platform"], row["platform_account_id"], row["billing_period"]): row
        for row in read_truth(built, "reconciliation_expected.csv")
    }
    rows = reconciliation_rows(db)
    closed = {key for key, row in rows.items() if row["is_closed"]}
    assert closed == set(expected)
    for key, truth in expected.items():
        row = rows[key]
        assert row["status"] == truth["expected_status"], key
        assert row["currency"] == truth["currency"], key
        assert_cents(row["platform_spend"], truth["platform_spend"], key)
        assert_cents(row["invoiced_amount"], truth["invoiced_amount"], key)
        assert_cents(row["difference"], truth["difference"], key)
        assert_cents(row["platform_spend_rc"], truth["platform_spend_rc"], key)
    closed_months = set(manifest(built)["closed_months"])
    assert {key[2] for key in closed} == closed_months
    assert all(not row["is_closed"] for key, row in rows.items() if key[2] in manifest(built)["open_months"])


def test_the_data_sync_target_is_measured_and_recorded(built: Pipeline, db):
    spend_by_status: dict[str, Decimal] = defaultdict(Decimal)
    for row in read_truth(built, "reconciliation_expected.csv"):
        spend_by_status[row["expected_status"]] += Decimal(row["platform_spend_rc"])
    expected = spend_by_status["matched"] / sum(spend_by_status.values())
    results = dq_results(db, "data_sync_target")
    assert results
    for passed, severity, value, threshold, details in results:
        assert passed and severity == "WARN" and json.loads(details)["kind"] == "target"
        assert value == pytest.approx(float(expected), abs=1e-6)
        assert round(value, 4) == float(manifest(built)["matched_share_of_closed_spend"])
        assert threshold == CONFIG.reconciliation.sync_target
        assert json.loads(details)["closed_spend_rc"] == pytest.approx(float(sum(spend_by_status.values())), abs=0.05)


def test_the_exceptions_are_exported_largest_difference_first(built: Pipeline, db):
    path = finance.exceptions_csv_path(built.warehouse)
    with path.open(newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    unmatched = {
        (row["platform"], row["platform_account_id"], row["billing_period"])
        for row in read_truth(built, "reconciliation_expected.csv")
        if row["expected_status"] != "matched"
    }
    assert {(row["platform"], row["platform_account_id"], row["billing_period"]) for row in exported} == unmatched
    assert [int(row["exception_rank"]) for row in exported] == list(range(1, len(exported) + 1))
    sizes = [abs(Decimal(row["difference_rc"])) for row in exported]
    assert sizes == sorted(sizes, reverse=True)
    assert all(row["next_step"] for row in exported)
    view = db.execute("select count(*) from marts.fct_spend_reconciliation_exceptions").fetchall()[0][0]
    assert view == len(exported)


# ---------------------------------------------------------------- budget vs actual


def budget_rows(db: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict]:
    return {
        (row["fiscal_period"], row["budget_line_id"]): row
        for row in records(db, "select * from marts.fct_budget_vs_actual")
    }


def test_platform_and_booked_actuals_match_the_truth_to_the_cent(built: Pipeline, db):
    rows = budget_rows(db)
    for truth in read_truth(built, "budget_actuals.csv"):
        key = (truth["fiscal_period"], truth["budget_line_id"])
        row = rows[key]
        assert_cents(row["platform_actual_rc"], truth["platform_actual_rc"], key)
        assert_cents(row["booked_actual_rc"], truth["booked_actual_rc"], key)
        assert row["is_tracked"] == (truth["is_tracked"] == "True"), key


def landing_fx_rates(landing: Path) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """currency -> [(rate_date, rate)] into the reporting currency, the latest file winning a restated key."""
    quotes: dict[tuple[str, str], Decimal] = {}
    for path in sorted((landing / "finance" / "fx_rates").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                quotes[(row["from_currency"], row["rate_date"])] = Decimal(row["rate"])
    series: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for (currency, day), rate in sorted(quotes.items()):
        series[currency].append((dt.date.fromisoformat(day), rate))
    return series


def planning_rate(series: list[tuple[dt.date, Decimal]], period_first: dt.date) -> tuple[dt.date, Decimal]:
    """The rate as of min(period's first day, last rate date), at most 7 days stale."""
    lookup = min(period_first, series[-1][0])
    rate_date, rate = [(day, rate) for day, rate in series if day <= lookup][-1]
    assert (lookup - rate_date).days <= FX_MAX_STALENESS_DAYS
    return rate_date, rate


def test_the_current_budget_is_the_latest_approved_version_at_its_planning_rate(built: Pipeline, db):
    rows = budget_rows(db)
    reporting_currency = manifest(built)["args"]["reporting_currency"]
    fx = landing_fx_rates(built.landing)
    planned_at_the_last_rate = 0
    truth = read_truth(built, "budget_current.csv")
    assert {row["budget_version"] for row in truth} >= {"FY2025_original", "FY2025_reforecast_q2"}
    for budget in truth:
        key = (budget["fiscal_period"], budget["budget_line_id"])
        row = rows[key]
        assert row["budget_version"] == budget["budget_version"], key
        assert row["budget_currency"] == budget["currency"], key
        assert_cents(row["budget_amount"], budget["amount"], key)
        if budget["currency"] == reporting_currency:
            assert_cents(row["budget_rc"], budget["amount"], key)
            continue
        period_first = dt.date.fromisoformat(budget["fiscal_period"] + "-01")
        rate_date, rate = planning_rate(fx[budget["currency"]], period_first)
        assert row["budget_fx_rate_date"] == rate_date, key
        assert_cents(row["budget_rc"], Decimal(budget["amount"]) * rate, key)
        planned_at_the_last_rate += period_first > fx[budget["currency"]][-1][0]
    assert planned_at_the_last_rate, "the plan reaches past the last published rate"


def test_the_variance_is_booked_else_platform(built: Pipeline, db):
    rows = budget_rows(db)
    for key, row in rows.items():
        source = "booked" if row["booked_line_count"] > 0 else "platform"
        assert row["actual_source"] == source, key
        actual = row["booked_actual_rc"] if source == "booked" else row["platform_actual_rc"]
        assert row["actual_rc"] == actual, key
        assert row["variance_rc"] == row["actual_rc"] - row["budget_rc"], key
        assert row["is_over_budget"] == (row["actual_rc"] > row["budget_rc"]), key
    offsets = {
        (row["fiscal_period"], row["budget_line_id"]): row for row in read_truth(built, "budget_tracking_offsets.csv")
    }
    assert len(offsets) == 2
    for key, offset in offsets.items():
        row = rows[key]
        assert row["is_tracked"] is False, key
        expected_actual = offset["booked_actual_rc"] if row["booked_line_count"] else offset["platform_actual_rc"]
        assert_cents(row["actual_rc"], expected_actual, key)
    open_rows = [row for row in rows.values() if not row["is_closed"] and row["platform_actual_rc"] > 0]
    assert open_rows and all(row["actual_source"] == "platform" and row["is_tracked"] is None for row in open_rows)


def test_the_budget_tracking_target_is_measured_and_recorded(built: Pipeline, db):
    # Every closed line-period with a current budget or an actual; one with neither actual (0 vs 0) is tracked.
    closed = set(manifest(built)["closed_months"])
    tracked = {
        (row["fiscal_period"], row["budget_line_id"]): row["is_tracked"] == "True"
        for row in read_truth(built, "budget_actuals.csv")
    }
    for budget in read_truth(built, "budget_current.csv"):
        if budget["fiscal_period"] in closed:
            tracked.setdefault((budget["fiscal_period"], budget["budget_line_id"]), True)
    expected = sum(tracked.values()) / len(tracked)
    results = dq_results(db, "budget_tracking_target")
    assert results
    for passed, severity, value, threshold, details in results:
        assert passed and severity == "WARN" and json.loads(details)["kind"] == "target"
        assert value == pytest.approx(expected, abs=1e-9)
        assert threshold == CONFIG.budget.tracking_target
        assert json.loads(details)["measured"] == len(tracked)


def test_the_roll_ups_add_up_by_channel_quarter_and_fiscal_year(built: Pipeline, db):
    months = db.execute(
        "select fiscal_quarter_label, fiscal_year_label, channel, sum(budget_rc), sum(actual_rc), "
        "sum(platform_actual_rc) from marts.fct_budget_vs_actual group by all"
    ).fetchall()
    rollups = {
        (grain, label, channel): (budget, actual, platform)
        for grain, label, channel, budget, actual, platform in db.execute(
            "select period_grain, period_label, channel, budget_rc, actual_rc, platform_actual_rc "
            "from marts.fct_budget_vs_actual_by_channel"
        ).fetchall()
    }
    sums: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for quarter, year, channel, *values in months:
        for grain, label in (("quarter", quarter), ("fiscal_year", year)):
            sums[(grain, label, channel)] = [
                a + Decimal(str(b)) for a, b in zip(sums[(grain, label, channel)], values, strict=True)
            ]
    # Every budget-line channel rolls up; the `unbudgeted` row (spend without a budget line) is checked in
    # test_finance_workflows.py.
    assert {key for key in rollups if key[0] != "month" and key[2] != "unbudgeted"} == set(sums)
    for key, expected in sums.items():
        assert [Decimal(str(value)) for value in rollups[key]] == expected, key
    # January fiscal years: FY2025 is the calendar year and its Q1 is January to March.
    assert ("fiscal_year", "FY2025", "paid_search") in rollups
    first, last = db.execute(
        "select min(first_fiscal_period), max(last_fiscal_period) from marts.fct_budget_vs_actual_by_channel "
        "where period_grain = 'quarter' and period_label = 'FY2025 Q1'"
    ).fetchall()[0]
    assert (first, last) == ("2025-01", "2025-03")
    # The platform actual of a channel-year is that channel's spend in the truth, less the spend of its
    # campaigns without a budget line (in the `unbudgeted` row).
    spend = defaultdict(Decimal)
    for row in read_truth(built, "spend_by_channel_month.csv"):
        spend[("fiscal_year", "FY" + row["month"][:4], row["channel"])] += Decimal(row["spend_rc"])
    for row in read_truth(built, "unbudgeted_spend.csv"):
        if row["reason"] == "no_budget_line":
            spend[("fiscal_year", "FY" + row["fiscal_period"][:4], row["channel"])] -= Decimal(row["spend_rc"])
    for key, expected in spend.items():
        assert abs(Decimal(str(rollups[key][2])) - expected) <= Decimal("0.01") * 12, key


# ---------------------------------------------------------------- pacing


def line_day_spend(db: duckdb.DuckDBPyConnection) -> dict[str, dict[dt.date, float]]:
    spend: dict[str, dict[dt.date, float]] = defaultdict(dict)
    for line, day, amount in db.execute(
        "select budget_line_id, spend_date, sum(spend_rc)::double from marts.fct_marketing_spend_daily "
        "where budget_line_id is not null group by all"
    ).fetchall():
        spend[line][day] = amount
    return spend


Flight = tuple[dt.date | None, dt.date | None]


def line_campaign_flights(pipeline: Pipeline, db: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[dict, Flight]]]:
    """Per budget line, each campaign's daily spend and its flight (start, end) from the landing campaign files."""
    flights: dict[tuple[str, str], tuple[str, Flight]] = {}
    for path in sorted((pipeline.landing / "marketing" / "campaigns").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                start = dt.date.fromisoformat(row["start_date"]) if row["start_date"] else None
                end = dt.date.fromisoformat(row["end_date"]) if row["end_date"] else None
                flights[(row["platform"], row["campaign_id"])] = (row["budget_line_id"], (start, end))
    spend: dict[tuple[str, str], dict[dt.date, float]] = defaultdict(dict)
    for platform, campaign_id, day, amount in db.execute(
        "select platform, campaign_id, spend_date, sum(spend_rc)::double from marts.fct_marketing_spend_daily "
        "group by all"
    ).fetchall():
        spend[(platform, campaign_id)][day] = amount
    by_line: dict[str, list[tuple[dict, Flight]]] = defaultdict(list)
    for key, (line, flight) in flights.items():
        if line:
            by_line[line].append((spend.get(key, {}), flight))
    return by_line


def in_flight(flight: Flight, day: dt.date) -> bool:
    start, end = flight
    return (start is None or start <= day) and (end is None or day <= end)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def reference_projection(
    spend: dict[dt.date, float],
    history_start: dt.date,
    as_of: dt.date,
    first: dt.date,
    last: dt.date,
    weeks: int,
    campaigns: list[tuple[dict, Flight]],
) -> float:
    """The pacing projection, written from its description: the last 7 days' level spread over the
    remaining days with the weekday means of the trailing window; the flat run rate under 7 days of history.
    Each remaining day counts as much as the campaigns in flight that day spent of the last 7 days."""
    to_date = sum(spend.get(day, 0.0) for day in days(first, as_of))
    elapsed = (as_of - first).days + 1
    if as_of == last:
        return to_date
    last_week = days(as_of - dt.timedelta(days=6), as_of)
    recent = [(sum(by_day.get(day, 0.0) for day in last_week), flight) for by_day, flight in campaigns]
    recent_total = sum(amount for amount, _ in recent)

    def weight(day: dt.date) -> float:
        if recent_total == 0:
            return 1.0 if any(in_flight(flight, day) for _, flight in recent) else 0.0
        return sum(amount for amount, flight in recent if in_flight(flight, day)) / recent_total

    remaining_days = days(as_of + dt.timedelta(days=1), last)
    window = days(max(history_start, as_of - dt.timedelta(days=7 * weeks - 1)), as_of)
    if len(window) < 7:
        return to_date + to_date / elapsed * sum(weight(day) for day in remaining_days)
    means = {
        weekday: sum(spend.get(day, 0.0) for day in window if day.weekday() == weekday)
        / sum(1 for day in window if day.weekday() == weekday)
        for weekday in range(7)
    }
    typical_week = sum(means.values())
    recent_week = sum(spend.get(day, 0.0) for day in days(as_of - dt.timedelta(days=6), as_of))
    if typical_week == 0:
        return to_date
    remaining = sum(means[day.weekday()] * weight(day) for day in remaining_days)
    return to_date + remaining * recent_week / typical_week


def test_pacing_covers_every_day_of_every_started_period(db):
    missing = db.execute(
        """
        select
            budget_vs_actual.fiscal_period, budget_vs_actual.budget_line_id,
            periods.days_elapsed, count(pacing.as_of_date)
        from marts.fct_budget_vs_actual as budget_vs_actual
        inner join intermediate.int_periods as periods using (fiscal_period)
        left join marts.fct_budget_pacing as pacing using (fiscal_period, budget_line_id)
        where periods.days_elapsed > 0
        group by all
        having count(pacing.as_of_date) != periods.days_elapsed
        """
    ).fetchall()
    assert missing == []
    latest = db.execute(
        "select distinct pacing.as_of_date = periods.as_of_date from marts.fct_budget_pacing as pacing "
        "inner join intermediate.int_periods as periods using (fiscal_period) where pacing.is_latest"
    ).fetchall()
    assert latest == [(True,)]


def test_the_projection_is_the_documented_one(built: Pipeline, db):
    spend = line_day_spend(db)
    flights = line_campaign_flights(built, db)
    history_start = db.execute("select min(as_of_date) from marts.fct_budget_pacing").fetchall()[0][0]
    rows = db.execute(
        """
        select pacing.budget_line_id, pacing.as_of_date, periods.period_first_date, periods.period_last_date,
            pacing.projected_spend_rc::double, pacing.run_rate_projected_spend_rc::double, pacing.day_of_period
        from marts.fct_budget_pacing as pacing
        inner join intermediate.int_periods as periods using (fiscal_period)
        where pacing.day_of_period in (1, 3, 10, 20) or pacing.is_latest
        """
    ).fetchall()
    assert len(rows) > 300
    for line, as_of, first, last, projected, run_rate, day in rows:
        expected = reference_projection(
            spend[line], history_start, as_of, first, last, CONFIG.pacing.profile_weeks, flights[line]
        )
        assert projected == pytest.approx(expected, abs=1e-5), (line, as_of)
        to_date = sum(spend[line].get(d, 0.0) for d in days(first, as_of))
        assert run_rate == pytest.approx(to_date / day * ((last - first).days + 1), abs=1e-5), (line, as_of)


def test_the_backtest_scores_both_projections_against_the_final_spend(built: Pipeline, db):
    truth = {(row["fiscal_period"], row["budget_line_id"]): row for row in read_truth(built, "budget_actuals.csv")}
    rows = db.execute(
        "select fiscal_period, budget_line_id, checkpoint_day, final_spend_rc, projected_spend_rc::double, "
        "run_rate_projected_spend_rc::double, absolute_pct_error, run_rate_absolute_pct_error "
        "from marts.fct_pacing_backtest where horizon = 'month'"
    ).fetchall()
    closed_line_periods = db.execute("select count(*) from marts.fct_budget_vs_actual where is_closed").fetchall()[0][0]
    assert len(rows) == 2 * closed_line_periods
    errors: dict[int, list[float | None]] = defaultdict(list)
    run_rate_errors: dict[int, list[float | None]] = defaultdict(list)
    for period, line, day, final, projected, run_rate, error, run_rate_error in rows:
        assert day in finance.BACKTEST_CHECKPOINT_DAYS
        if (period, line) in truth:
            assert_cents(final, truth[(period, line)]["platform_actual_rc"], (period, line))
        if final == 0:
            assert error is None and run_rate_error is None
            continue
        assert error == pytest.approx(abs(projected - float(final)) / float(final), abs=1e-9)
        assert run_rate_error == pytest.approx(abs(run_rate - float(final)) / float(final), abs=1e-9)
        errors[day].append(error)
        run_rate_errors[day].append(run_rate_error)
    mape = finance.mean_absolute_percentage_error(errors[20])
    run_rate_mape = finance.mean_absolute_percentage_error(run_rate_errors[20])
    assert mape is not None and run_rate_mape is not None
    assert mape < run_rate_mape, "the projection beats the flat run rate on the backtest"
    results = dq_results(db, "pacing_backtest_mape")
    assert results
    for passed, severity, value, threshold, details in results:
        assert severity == "WARN"
        assert passed == (value <= threshold)
        assert value == pytest.approx(mape, abs=1e-9)
        assert threshold == CONFIG.pacing.backtest_mape_warning
        recorded = json.loads(details)
        assert recorded["run_rate_mape_day_20"] == pytest.approx(run_rate_mape, abs=1e-6)
        assert recorded["mape_day_10"] == pytest.approx(finance.mean_absolute_percentage_error(errors[10]), abs=1e-6)


# ---------------------------------------------------------------- checks and audit


def test_the_finance_checks_ran_and_are_recorded(db):
    for check_name in (
        "data_sync_target",
        "budget_tracking_target",
        "gx_fct_spend_reconciliation",
        "gx_fct_budget_vs_actual",
    ):
        results = dq_results(db, check_name)
        assert results and all(passed for passed, *_ in results), check_name
    suites = Path(__file__).resolve().parents[2] / "expectations" / "gx" / "expectations"
    for suite in ("fct_spend_reconciliation", "data_sync_target", "fct_budget_vs_actual", "budget_tracking_target"):
        assert (suites / f"{suite}.json").exists(), suite


def test_no_finance_amount_is_lost_to_fx(db):
    assert db.execute("select count(*) from audit.finance_fx_conversion_errors").fetchall()[0][0] == 0
    lines = db.execute(
        "select count(*) from staging.stg_erp__gl_journal_lines where budget_line_id is not null"
    ).fetchall()[0][0]
    converted = db.execute(
        "select count(*) from intermediate.int_gl_lines_converted_to_rc where has_fx_rate"
    ).fetchall()[0][0]
    assert converted == lines


# ---------------------------------------------------------------- targets report, integrity blocks


def _webhook_texts(sink: WebhookSink) -> str:
    return json.dumps(sink.payloads)


@pytest.mark.integration
def test_a_sync_below_target_is_reported_and_alerted_and_the_snapshot_is_published(tmp_path: Path):
    """Invoices of two closed months go missing: under 95 % of closed spend is matched.

    data_sync_target is a business target: it is missed (value and threshold recorded, severity WARN), the
    run summary says so, an alert goes out, the snapshot is published with the reconciliation exceptions in
    it, and the run exits 0.
    """
    landing = tmp_path / "landing"
    generate_landing(landing, touchpoints=3000)
    invoice_files = sorted((landing / "finance" / "vendor_invoices").glob("*.csv"))
    for path in invoice_files[3:5]:
        path.unlink()
    env = pipeline_env(tmp_path, landing)
    with WebhookSink() as sink:
        env["ROI_ALERT_WEBHOOK_URL"] = sink.url
        result = run_cli(env)
        alerts = _webhook_texts(sink)

    output = result.stdout[-6000:] + result.stderr[-6000:]
    assert result.returncode == 0, output
    assert "MISSED  marts/fct_spend_reconciliation :: data_sync_target" in result.stdout, output
    assert "business target(s) missed (" in result.stdout and "the snapshot is published" in result.stdout
    assert "Target data_sync_target missed on marts/fct_spend_reconciliation" in alerts, alerts[:2000]
    warehouse = tmp_path / "roi.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as db:
        ((passed, severity, value, threshold, details),) = dq_results(db, "data_sync_target")
        assert not passed and severity == "WARN"
        assert value < threshold == CONFIG.reconciliation.sync_target
        recorded = json.loads(details)
        assert recorded["kind"] == "target" and recorded["status"] == "missed"
        assert recorded["account_months_by_status"]["missing_invoice"] >= 2
        assert all(passed for passed, *_ in dq_results(db, "budget_tracking_target"))
    with open_instance(env["DAGSTER_HOME"]) as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey(["marts", "fct_spend_reconciliation"]))
        assert instance.get_latest_materialization_event(dg.AssetKey(["finance", "reconciliation_exceptions"]))
        assert instance.get_latest_materialization_event(dg.AssetKey(["publish", "warehouse_snapshot"]))
    with duckdb.connect(str(snapshot.snapshot_path(warehouse)), read_only=True) as published:
        missing = published.execute(
            "select distinct billing_period from marts.fct_spend_reconciliation "
            "where status = 'missing_invoice' and is_closed"
        ).fetchall()
    assert len(missing) >= 2
    exported = finance.exceptions_csv_path(warehouse).read_text(encoding="utf-8")
    assert exported.count("missing_invoice") >= 2


@pytest.mark.integration
@pytest.mark.slow  # a full build of its own
def test_a_lost_row_holds_the_snapshot_back_even_when_only_a_target_is_also_missed(tmp_path: Path):
    """The same missing invoices, and the last month of FX rates missing too: that month's spend rows cannot
    be converted, so they would be lost from the spend mart. The data-integrity check (the FX error audit
    must be empty) fails: the snapshot is not published and the run exits 1."""
    landing = tmp_path / "landing"
    generate_landing(landing, touchpoints=3000)
    for path in sorted((landing / "finance" / "vendor_invoices").glob("*.csv"))[3:5]:
        path.unlink()
    sorted((landing / "finance" / "fx_rates").glob("*.csv"))[-1].unlink()
    env = pipeline_env(tmp_path, landing)
    result = run_cli(env)

    output = result.stdout[-6000:] + result.stderr[-6000:]
    assert result.returncode == 1, output
    assert "Result  FAILED" in result.stdout, output
    assert "fx_conversion_errors_is_empty" in result.stdout, output
    with duckdb.connect(str(tmp_path / "roi.duckdb"), read_only=True) as db:
        assert db.execute("select count(*) from audit.fx_conversion_errors").fetchall()[0][0] > 0
    with open_instance(env["DAGSTER_HOME"]) as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey(["publish", "warehouse_snapshot"])) is None
    assert not snapshot.snapshot_path(tmp_path / "roi.duckdb").exists()


NO_CLOSED_PERIOD_CONFIG = """
periods:
  # Invoices and GL postings are expected up to five years after month end: no month of the sample closes.
  close_grace_days: 1830
"""


@pytest.mark.integration
@pytest.mark.slow  # a full build of its own
def test_with_no_closed_period_the_targets_are_not_measurable_never_passed(tmp_path: Path):
    landing = tmp_path / "landing"
    generate_landing(landing, touchpoints=3000)
    config = tmp_path / "roi.yml"
    config.write_text(NO_CLOSED_PERIOD_CONFIG, encoding="utf-8")
    env = {**pipeline_env(tmp_path, landing), "ROI_CONFIG": str(config)}
    result = run_cli(env)

    output = result.stdout[-6000:] + result.stderr[-6000:]
    assert result.returncode == 0, output
    with duckdb.connect(str(tmp_path / "roi.duckdb"), read_only=True) as db:
        assert db.execute("select count(*) from intermediate.int_periods where is_closed").fetchall()[0][0] == 0
        for check_name in ("data_sync_target", "budget_tracking_target", "pacing_backtest_mape"):
            ((passed, severity, value, _threshold, details),) = dq_results(db, check_name)
            recorded = json.loads(details)
            assert not passed and value is None and severity == "WARN", check_name
            assert recorded["status"] == "not_measurable", check_name
            assert recorded["description"] == "not measurable: no closed period", check_name
            assert "NOT MEASURABLE  " in result.stdout and check_name in result.stdout
    assert "0 missed, " in result.stdout and "not measurable" in result.stdout
