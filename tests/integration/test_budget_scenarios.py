"""Budget scenarios on the built warehouse, scored against the planted truth, and the proposal loop.

- The scenario marts follow their contract whether or not a marketing-mix model is fitted: with a fit,
  the three default scenarios with bounds and totals kept; without one, empty tables and targets
  "not measurable" in ``audit.dq_results``.
- Scored with the generator's true curves (``_truth/media_response.json``, issue 10's sample):
  ``reallocate_same_budget`` captures >= 90 % of the true optimum's uplift; ``same_revenue_least_spend``
  keeps >= 97 % of the true incremental revenue while saving >= 75 % of what the true optimum saves.
  These need the MMM's fit (slow): the session's seed-11 build with the fit on (``ROI_MMM_ENABLED=1``, shared with
  issue 10's tests, ``fitted_seed11`` in conftest.py; the shared ``built`` warehouse has no fit).
- ``propose-budget``'s file, approved as finance would and dropped into a copy of the landing zone,
  becomes the current budget on the next run (slow: two more builds).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.lib import settings
from orchestration.lib.incrementality.curves import curves_from_truth
from orchestration.lib.optimisation import scoring
from orchestration.lib.optimisation.scenarios import DEFAULT_SCENARIOS, specs_from_config
from tests.integration.conftest import Pipeline, pipeline_env, run_cli

# the build's own config (the repository's config/roi.yml): the same bounds the asset used
DEFAULT_SPECS = {spec.name: spec for spec in specs_from_config(settings.config().optimisation)}


def has_fit(connection: duckdb.DuckDBPyConnection) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'incrementality' and table_name = 'mmm_curve_draws'"
    ).fetchone()
    return (
        bool(found[0]) and connection.execute("select count(*) from incrementality.mmm_curve_draws").fetchone()[0] > 0
    )


def scenario_frame(connection: duckdb.DuckDBPyConnection, scenario: str) -> pd.DataFrame:
    return connection.execute(
        "select * from marts.fct_budget_scenarios where scenario = ? order by channel", [scenario]
    ).df()


def test_scenario_marts_follow_the_fit(db: duckdb.DuckDBPyConnection) -> None:
    summary = db.execute("select * from marts.fct_budget_scenario_summary order by scenario").df()
    targets = db.execute(
        "select check_name, passed, severity, measured_value, details from audit.dq_results "
        "where asset_key = 'incrementality/budget_scenario_summary' order by check_name"
    ).df()
    assert targets["check_name"].tolist() == ["budget_efficiency_target", "roi_improvement_target"]
    assert set(targets["severity"]) == {"WARN"}
    if not has_fit(db):
        assert summary.empty and db.execute("select count(*) from marts.fct_budget_scenarios").fetchone()[0] == 0
        assert not targets["passed"].any() and targets["measured_value"].isna().all()
        assert all("not measurable: no model fitted" in details for details in targets["details"])
        return
    assert set(DEFAULT_SCENARIOS) <= set(summary["scenario"])
    for name in DEFAULT_SCENARIOS:
        rows = scenario_frame(db, name)
        assert (rows["recommended_spend_rc"] >= rows["lower_bound_rc"] * (1 - 1e-9) - 1e-6).all()
        assert (rows["recommended_spend_rc"] <= rows["upper_bound_rc"] * (1 + 1e-9) + 1e-6).all()
        assert rows["lower_bound_rc"].to_numpy() == pytest.approx(0.3 * rows["current_spend_rc"].to_numpy())
    same_budget = scenario_frame(db, "reallocate_same_budget")
    assert same_budget["recommended_spend_rc"].sum() == pytest.approx(same_budget["current_spend_rc"].sum(), rel=1e-9)
    least = summary.set_index("scenario").loc["same_revenue_least_spend"]
    assert least["expected_incremental_revenue_rc"] == pytest.approx(least["current_incremental_revenue_rc"], rel=1e-5)
    assert least["recommended_spend_rc"] <= least["current_spend_rc"] * (1 + 1e-9)
    assert targets["measured_value"].notna().all()


@pytest.fixture
def fitted(fitted_seed11: Pipeline) -> Pipeline:
    """A fresh landing zone (seed 11) built with the marketing-mix model fitted (shared with the MMM tests)."""
    return fitted_seed11


def _truth_inputs(fitted: Pipeline, scenario: str):
    truth_path = fitted.truth / "media_response.json"
    assert truth_path.exists(), "the generator's planted media response (issue 10) is missing"
    truth = curves_from_truth(json.loads(truth_path.read_text(encoding="utf-8")))
    with fitted.connect() as db:
        assert has_fit(db), "no marketing-mix model fitted (issue 10's assets): nothing to score"
        rows = scenario_frame(db, scenario)
    channels = tuple(rows["channel"])
    days = (rows["window_end"].iloc[0] - rows["window_start"].iloc[0]).days + 1
    return truth, channels, days, rows["current_spend_rc"].to_numpy(), rows["recommended_spend_rc"].to_numpy()


def _reallocation_score(fitted: Pipeline) -> scoring.ReallocationScore:
    truth, channels, days, current, recommended = _truth_inputs(fitted, "reallocate_same_budget")
    return scoring.score_reallocation(
        truth, DEFAULT_SPECS["reallocate_same_budget"], channels, days, current, recommended
    )


@pytest.mark.slow
def test_reallocation_earns_more_than_today_under_the_true_curves(fitted: Pipeline) -> None:
    score = _reallocation_score(fitted)
    assert score.true_revenue_recommended > score.true_revenue_now


# The target. Measured on seed 11 with the misallocated plan (seeds/_media.py RESPONSE): 99.6 % of the
# true optimum's uplift (before the plan was misallocated, 54-67 %: the plan sat within 1 % of the optimum).
@pytest.mark.slow
def test_reallocation_captures_most_of_the_true_optimum_s_uplift(fitted: Pipeline) -> None:
    score = _reallocation_score(fitted)
    print(
        f"reallocate_same_budget captures {score.captured_uplift_share:.1%} of the true optimum's uplift "
        f"(true revenue now {score.true_revenue_now:,.0f}, recommended {score.true_revenue_recommended:,.0f}, "
        f"optimum {score.true_revenue_optimum:,.0f})"
    )
    assert score.captured_uplift_share >= 0.90


@pytest.mark.slow
def test_least_spend_keeps_the_true_revenue_and_most_of_the_true_saving(fitted: Pipeline) -> None:
    truth, channels, days, current, recommended = _truth_inputs(fitted, "same_revenue_least_spend")
    score = scoring.score_least_spend(
        truth, DEFAULT_SPECS["same_revenue_least_spend"], channels, days, current, recommended
    )
    print(
        f"same_revenue_least_spend keeps {score.kept_revenue_share:.1%} of the true incremental revenue and saves "
        f"{score.captured_saving_share:.1%} of what the true optimum saves"
    )
    assert score.kept_revenue_share >= 0.97
    assert score.captured_saving_share >= 0.75


def write_handmade_fit(warehouse: Path) -> None:
    """Curve draws for every channel with spend, when the build has no model of its own (before the MMM
    of issue 10 is merged): Hill curves whose half-saturation lies near each channel's spend level."""
    with duckdb.connect(str(warehouse)) as connection:
        spend = connection.execute(
            "select channel, sum(cast(spend_rc as double)) / 365 as daily from marts.fct_marketing_spend_daily "
            "where spend_date > (select max(spend_date) from marts.fct_marketing_spend_daily) - interval 365 day "
            "group by channel having sum(spend_rc) > 0 order by channel"
        ).fetchall()
        generator = np.random.default_rng(5)
        rows = [
            ("handmade", channel, draw, "hill", daily * (4.0 - 0.4 * index) * generator.lognormal(0, 0.1),
             daily * (0.6 + 0.3 * index) * generator.lognormal(0, 0.1), 1.3, None, daily * 2)
            for index, (channel, daily) in enumerate(spend)
            for draw in range(100)
        ]  # fmt: skip
        connection.execute("create schema if not exists incrementality")
        connection.execute(
            "create or replace table incrementality.mmm_curve_draws (fit_id varchar, channel varchar, draw integer, "
            "saturation varchar, beta double, kappa double, slope double, lam double, "
            "observed_max_daily_spend_rc double)"
        )
        connection.executemany("insert into incrementality.mmm_curve_draws values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.mark.slow
def test_an_approved_proposal_becomes_the_current_budget(built: Pipeline, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(built.landing, landing)
    shutil.copy(built.warehouse, tmp_path / "roi.duckdb")
    env = pipeline_env(tmp_path, landing)
    with duckdb.connect(str(tmp_path / "roi.duckdb"), read_only=True) as connection:
        fitted = has_fit(connection)
    if not fitted:
        write_handmade_fit(tmp_path / "roi.duckdb")
    rebuilt = run_cli(env)
    assert rebuilt.returncode == 0, rebuilt.stdout[-4000:] + rebuilt.stderr[-4000:]
    with duckdb.connect(str(tmp_path / "roi.duckdb"), read_only=True) as connection:
        fiscal_year = int(
            connection.execute("select max(fiscal_period) from marts.fct_budget_vs_actual").fetchone()[0][:4]
        )
    proposed = run_cli(
        env, "propose-budget", "--scenario", "reallocate_same_budget", "--fiscal-year", str(fiscal_year),
        "--out", str(tmp_path / "proposals"),
    )  # fmt: skip
    assert proposed.returncode == 0, proposed.stderr
    proposal_path = tmp_path / "proposals" / f"budgets_FY{fiscal_year}_reallocate_same_budget.csv"
    with proposal_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {row["approved_at"] for row in rows} == {""}
    assert {row["budget_version"] for row in rows} == {f"FY{fiscal_year}_reallocate_same_budget"}
    # finance approves it and drops it into the landing zone
    for row in rows:
        row["approved_at"], row["approved_by"] = "2099-01-01T09:00:00Z", "Finance Committee"
    approved = landing / "finance" / "budgets" / proposal_path.name
    with approved.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    after = run_cli(env)
    assert after.returncode == 0, after.stdout[-4000:] + after.stderr[-4000:]
    with duckdb.connect(str(tmp_path / "roi.duckdb"), read_only=True) as connection:
        current = connection.execute(
            "select fiscal_period, budget_line_id, budget_version, cast(budget_rc as double) "
            "from marts.fct_budget_vs_actual where fiscal_period like ?",
            [f"{fiscal_year}-%"],
        ).fetchall()
    by_line = {(period, line): (version, amount) for period, line, version, amount in current}
    for row in rows:
        version, amount = by_line[(row["fiscal_period"], row["budget_line_id"])]
        assert version == row["budget_version"]
        assert amount == pytest.approx(float(row["amount"]), abs=0.01)
