"""Finance workflows on the session's build (issue 13): spending authorisation and the budget's history.

Expected figures come from the generator's truth (``_truth/unbudgeted_spend.csv``, recomputed from the written
landing files by the generator's own rules and FX table; ``spend_by_channel_month.csv``) or straight from the
landing zone's budget files, read here with the csv module; never from the marts under test.
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.integration
HALF_CENT = Decimal("0.005")
REASONS = {"no_budget_line", "outside_flight_dates", "no_current_budget"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def decimal_rows(db: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return [
        tuple(Decimal(str(value)) if isinstance(value, float | Decimal) else value for value in row)
        for row in db.execute(sql, params or []).fetchall()
    ]


# ---------------------------------------------------------------- spending authorisation


def test_every_planted_unbudgeted_spend_is_found_with_its_reason_and_amount(built: Pipeline, db):
    truth = read_csv(built.truth / "unbudgeted_spend.csv")
    # The three planted cases are there, each with its own reason.
    assert {row["reason"] for row in truth} == REASONS
    found = {
        (str(day), platform, campaign_id): (reason, line, currency, spend, spend_rc)
        for day, platform, campaign_id, reason, line, currency, spend, spend_rc in decimal_rows(
            db,
            "select spend_date, platform, campaign_id, reason, coalesce(budget_line_id, ''), currency, spend, "
            "spend_rc from marts.fct_unbudgeted_spend",
        )
    }
    assert set(found) == {(row["spend_date"], row["platform"], row["campaign_id"]) for row in truth}
    for row in truth:
        reason, line, currency, spend, spend_rc = found[(row["spend_date"], row["platform"], row["campaign_id"])]
        assert (reason, line, currency) == (row["reason"], row["budget_line_id"], row["currency"]), row
        assert spend == Decimal(row["spend"]), row
        assert abs(spend_rc - Decimal(row["spend_rc"])) <= HALF_CENT, (row, spend_rc)


def test_unbudgeted_spend_per_case_matches_the_truth_to_the_cent(built: Pipeline, db):
    expected: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in read_csv(built.truth / "unbudgeted_spend.csv"):
        expected[(row["campaign_id"], row["reason"], row["fiscal_period"])] += Decimal(row["spend_rc"])
    found = {
        (campaign_id, reason, period): total
        for campaign_id, reason, period, total in decimal_rows(
            db,
            "select campaign_id, reason, fiscal_period, sum(spend_rc) from marts.fct_unbudgeted_spend group by all",
        )
    }
    assert found.keys() == expected.keys()
    for key, total in expected.items():
        assert abs(found[key] - total) <= HALF_CENT, (key, found[key], total)


def test_budget_rollups_plus_unbudgeted_spend_equal_total_spend_to_the_cent(built: Pipeline, db):
    # The truth rounds each channel-month to the cent: a month's total is exact within half a cent per row.
    total_by_month: dict[str, Decimal] = defaultdict(Decimal)
    truth_rows: dict[str, int] = defaultdict(int)
    for row in read_csv(built.truth / "spend_by_channel_month.csv"):
        total_by_month[row["month"]] += Decimal(row["spend_rc"])
        truth_rows[row["month"]] += 1
    spend_mart = dict(
        decimal_rows(
            db,
            "select strftime(spend_date, '%Y-%m'), sum(spend_rc) from marts.fct_marketing_spend_daily group by 1",
        )
    )
    unbudgeted_by_month: dict[str, Decimal] = defaultdict(Decimal)
    for row in read_csv(built.truth / "unbudgeted_spend.csv"):
        unbudgeted_by_month[row["fiscal_period"]] += Decimal(row["spend_rc"])
    rollup = {
        period: (platform, unbudgeted, unbudgeted_row)
        for period, platform, unbudgeted, unbudgeted_row in decimal_rows(
            db,
            "select period_label, sum(platform_actual_rc), sum(unbudgeted_rc), "
            "sum(case when channel = 'unbudgeted' then platform_actual_rc else 0 end) "
            "from marts.fct_budget_vs_actual_by_channel where period_grain = 'month' group by 1",
        )
    }
    assert set(total_by_month) <= set(rollup)
    for month, total in total_by_month.items():
        platform, unbudgeted, _ = rollup[month]
        assert abs(platform - spend_mart[month]) <= HALF_CENT, (month, platform, spend_mart[month])
        assert abs(platform - total) <= HALF_CENT * truth_rows[month], (month, platform, total)
        assert abs(unbudgeted - unbudgeted_by_month.get(month, Decimal(0))) <= HALF_CENT, month
    # Spend on the campaign without a budget line is the unbudgeted row; there is one in its month.
    no_line = defaultdict(Decimal)
    for row in read_csv(built.truth / "unbudgeted_spend.csv"):
        if row["reason"] == "no_budget_line":
            no_line[row["fiscal_period"]] += Decimal(row["spend_rc"])
    assert no_line
    for month, amount in no_line.items():
        assert abs(rollup[month][2] - amount) <= HALF_CENT, month
    # The quarter and year rows add up the same way.
    for grain in ("quarter", "fiscal_year"):
        ((total, unbudgeted),) = decimal_rows(
            db,
            "select sum(platform_actual_rc), sum(unbudgeted_rc) from marts.fct_budget_vs_actual_by_channel "
            "where period_grain = ?",
            [grain],
        )
        assert abs(total - sum(spend_mart.values())) <= HALF_CENT, grain
        assert abs(unbudgeted - sum(unbudgeted_by_month.values())) <= HALF_CENT, grain


def test_the_unbudgeted_checks_ran_and_are_recorded(db):
    rows = dict(
        db.execute(
            "select check_name, passed from audit.dq_results "
            "where check_name in ('unbudgeted_spend_reconciles', 'unbudgeted_spend_share')"
        ).fetchall()
    )
    assert rows["unbudgeted_spend_reconciles"] is True
    assert "unbudgeted_spend_share" in rows


# ---------------------------------------------------------------- the budget's history


def _budget_versions(built: Pipeline) -> dict[tuple[str, str], list[dict[str, str]]]:
    import datetime as dt

    versions: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for path in sorted((built.landing / "finance" / "budgets").glob("*.csv")):
        for row in read_csv(path):
            versions[(row["fiscal_period"], row["budget_line_id"])].append(row)
    for rows in versions.values():
        rows.sort(key=lambda row: (dt.datetime.fromisoformat(row["approved_at"]), row["budget_version"]))
    return versions


def test_every_planted_budget_change_appears_once(built: Pipeline, db):
    expected = set()
    initial = set()
    for (period, line), rows in _budget_versions(built).items():
        initial.add((period, line, rows[0]["budget_version"], Decimal(rows[0]["amount"])))
        for before, after in itertools.pairwise(rows):
            if (before["amount"], before["currency"]) != (after["amount"], after["currency"]):
                delta = Decimal(after["amount"]) - Decimal(before["amount"])
                expected.add((period, line, after["budget_version"], Decimal(before["amount"]), delta))
    assert expected, "the generator plants reforecasts"
    changes = decimal_rows(
        db,
        "select fiscal_period, budget_line_id, budget_version, previous_amount, delta "
        "from marts.fct_budget_changes where change_type != 'initial'",
    )
    assert len(changes) == len(set(changes))  # each once
    assert set(changes) == expected
    initials = decimal_rows(
        db,
        "select fiscal_period, budget_line_id, budget_version, amount from marts.fct_budget_changes "
        "where change_type = 'initial'",
    )
    assert set(initials) == initial and len(initials) == len(initial)


def test_the_budget_history_adds_up_to_the_current_budget(db):
    off = db.execute(
        """
        select changes.fiscal_period, changes.budget_line_id, changes.total, current.budget_rc
        from (
            select fiscal_period, budget_line_id, sum(delta_rc) as total
            from marts.fct_budget_changes group by all
        ) as changes
        inner join intermediate.int_budgets_current as current using (fiscal_period, budget_line_id)
        where abs(changes.total - current.budget_rc) > 0.005
        """
    ).fetchall()
    assert off == []
    by_quarter = decimal_rows(
        db,
        "select sum(net_delta_rc), sum(changed_line_periods) from marts.fct_budget_changes_by_quarter",
    )
    detail = decimal_rows(
        db,
        "select sum(delta_rc), count(*) filter (where change_type != 'initial') from marts.fct_budget_changes",
    )
    assert abs(by_quarter[0][0] - detail[0][0]) <= HALF_CENT and by_quarter[0][1] == detail[0][1]


# ---------------------------------------------------------------- forecasts beyond the month


def test_quarter_and_year_end_forecasts_are_scored_against_the_flat_run_rate(db):
    import datetime as dt
    import json

    spend: dict[tuple[str, dt.date], float] = defaultdict(float)
    for line, day, amount in db.execute(
        "select budget_line_id, spend_date, sum(spend_rc)::double from marts.fct_marketing_spend_daily "
        "where budget_line_id is not null group by all"
    ).fetchall():
        spend[(line, day)] += amount
    spans = {
        label: (first, last)
        for label, first, last in db.execute(
            "select fiscal_quarter_label, min(period_first_date), max(period_last_date) from intermediate.int_periods "
            "group by 1 union all "
            "select fiscal_year_label, min(period_first_date), max(period_last_date) from intermediate.int_periods "
            "group by 1"
        ).fetchall()
    }
    rows = db.execute(
        "select budget_line_id, horizon, horizon_label, checkpoint_date, projected_spend_rc::double, "
        "run_rate_projected_spend_rc::double, final_spend_rc::double, absolute_pct_error, run_rate_absolute_pct_error "
        "from marts.fct_pacing_backtest where horizon != 'month'"
    ).fetchall()
    assert {row[1] for row in rows} == {"quarter", "fiscal_year"}
    errors: dict[str, list[float]] = defaultdict(list)
    run_rate_errors: dict[str, list[float]] = defaultdict(list)
    for line, horizon, label, as_of, projected, run_rate, final, error, run_rate_error in rows:
        first, last = spans[label]
        in_horizon = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        expected_final = sum(spend.get((line, day), 0.0) for day in in_horizon)
        to_date = sum(spend.get((line, day), 0.0) for day in in_horizon if day <= as_of)
        assert final == pytest.approx(expected_final, abs=0.005), (line, label, as_of)
        assert run_rate == pytest.approx(to_date / ((as_of - first).days + 1) * len(in_horizon), abs=1e-5)
        assert projected >= to_date - 1e-6
        if final:
            assert error == pytest.approx(abs(projected - final) / final, abs=1e-9)
            errors[horizon].append(error)
            run_rate_errors[horizon].append(run_rate_error)
    ((details,),) = db.execute(
        "select details from audit.dq_results where check_name = 'pacing_backtest_mape'"
    ).fetchall()
    recorded = json.loads(details)
    for horizon in ("quarter", "fiscal_year"):
        assert errors[horizon], horizon
        assert recorded[f"mape_{horizon}"] == pytest.approx(sum(errors[horizon]) / len(errors[horizon]), abs=1e-6)
        assert recorded[f"run_rate_mape_{horizon}"] == pytest.approx(
            sum(run_rate_errors[horizon]) / len(run_rate_errors[horizon]), abs=1e-6
        )


def test_the_forecast_stands_next_to_the_budget_with_an_interval(db):
    rows = db.execute(
        "select budget_line_id, horizon, horizon_label, budget_rc, spend_to_date_rc, projected_spend_rc, "
        "projected_low_rc, projected_high_rc, backtest_points from marts.fct_budget_forecast"
    ).fetchall()
    lines = {row[0] for row in db.execute("select distinct budget_line_id from marts.fct_budget_vs_actual").fetchall()}
    assert {(line, horizon) for line, horizon, *_ in rows} == {
        (line, h) for line in lines for h in ("quarter", "fiscal_year")
    }
    budgets = dict(
        ((line, label), total)
        for line, label, total in db.execute(
            "select budget_line_id, fiscal_quarter_label, sum(budget_rc) from marts.fct_budget_vs_actual group by 1, 2 "
            "union all select budget_line_id, fiscal_year_label, sum(budget_rc) from marts.fct_budget_vs_actual "
            "group by 1, 2"
        ).fetchall()
    )
    for line, _horizon, label, budget, to_date, projected, low, high, points in rows:
        assert abs(budget - budgets.get((line, label), 0)) <= HALF_CENT, (line, label)
        assert projected >= to_date
        assert points > 0 and low is not None and high is not None and low <= high, (line, label)


# ---------------------------------------------------------------- team accountability


def test_team_budgets_add_up_to_the_lines_and_their_roi_is_their_campaigns(built: Pipeline, db):
    owner: dict[tuple[str, str], str] = {}
    for path in sorted((built.landing / "marketing" / "campaigns").glob("*.csv")):
        for row in read_csv(path):
            owner[(row["platform"], row["campaign_id"])] = row["owner_team"] or "unassigned"
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for platform, campaign_id, period, amount in decimal_rows(
        db,
        "select platform, campaign_id, strftime(spend_date, '%Y-%m'), sum(spend_rc) "
        "from marts.fct_marketing_spend_daily group by all",
    ):
        spend[(owner.get((platform, campaign_id), "unassigned"), period)] += amount
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    margin: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for platform, campaign_id, period, attributed_revenue, attributed_margin in decimal_rows(
        db,
        "select platform, campaign_id, period, attributed_revenue_rc, attributed_margin_rc "
        "from marts.fct_roi_by_campaign where attribution_model = 'markov'",
    ):
        revenue[(owner.get((platform, campaign_id), "unassigned"), period)] += attributed_revenue
        margin[(owner.get((platform, campaign_id), "unassigned"), period)] += attributed_margin
    rows = decimal_rows(
        db,
        "select owner_team, fiscal_period, budget_rc, spend_rc, attributed_revenue_rc, roi "
        "from marts.fct_team_budget_performance",
    )
    assert {team for team, *_ in rows} >= {"Performance Marketing US", "Performance Marketing EU", "Brand Marketing"}
    for team, period, _budget, team_spend, team_revenue, roi in rows:
        assert abs(team_spend - spend.get((team, period), Decimal(0))) <= HALF_CENT, (team, period)
        assert abs(team_revenue - revenue.get((team, period), Decimal(0))) <= Decimal("0.01"), (team, period)
        if team_spend > 0:
            expected = (margin.get((team, period), Decimal(0)) - team_spend) / team_spend
            assert abs(roi - expected) <= Decimal("0.000001"), (team, period)
    # The teams' shares of the budget lines add up to the lines' budgets, month by month.
    by_month = dict(
        decimal_rows(db, "select fiscal_period, sum(budget_rc) from marts.fct_team_budget_performance group by 1")
    )
    lines = dict(decimal_rows(db, "select fiscal_period, sum(budget_rc) from marts.fct_budget_vs_actual group by 1"))
    for period, total in lines.items():
        assert abs(by_month.get(period, Decimal(0)) - total) <= Decimal("0.01"), period


def test_the_operational_report_shows_targets_unbudgeted_spend_and_teams(built: Pipeline, db):
    import datetime as dt

    from orchestration.lib import periods, settings
    from orchestration.lib.reporting import render

    ((month,),) = db.execute(
        "select max(fiscal_period) from marts.fct_unbudgeted_spend where reason = 'no_current_budget'"
    ).fetchall()
    period = periods.parse(periods.week_key(dt.date.fromisoformat(f"{month}-10")))
    cfg = settings.load_config(settings.DEFAULT_CONFIG_PATH)
    report = render.render_operational(render.load_operational(db, period, cfg, "USD"), cfg, dt.datetime.now(dt.UTC))
    assert "Business targets" in report.html and "data_sync_target" in report.html
    assert f"Unbudgeted spend in {month}" in report.html and "no current budget" in report.html
    teams = [
        row[0]
        for row in db.execute(
            "select owner_team from marts.fct_team_budget_performance where fiscal_period = ?", [month]
        ).fetchall()
    ]
    assert teams and all(team in report.html for team in teams)
