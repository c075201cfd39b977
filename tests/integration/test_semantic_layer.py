"""The semantic layer answers what the marts say: metric queries through MetricFlow (``mf``, as
``make metrics`` runs it, over the published snapshot) against direct SQL on the marts, and against the
figures the Python checks measured."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.lib import metrics
from orchestration.lib.snapshot import snapshot_path
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.integration


def mf_query(built: Pipeline, tmp_path: Path, *arguments: str) -> pd.DataFrame:
    out = tmp_path / "result.csv"
    result = metrics.run_mf(["query", *arguments, "--csv", str(out)], warehouse=built.warehouse)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return pd.read_csv(out)


@pytest.fixture
def snapshot_db(built: Pipeline):
    connection = duckdb.connect(str(snapshot_path(built.warehouse)), read_only=True)
    try:
        yield connection
    finally:
        connection.close()


def close(actual: float | None, expected: float | None) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return actual is None or (isinstance(actual, float) and math.isnan(actual))
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-6)


def test_roi_roas_and_cac_by_channel_and_model_are_the_marts_sums(built: Pipeline, snapshot_db, tmp_path: Path):
    answered = mf_query(built, tmp_path, "--metrics", "roi,roas,cac", "--group-by", "channel,attribution_model")
    expected = snapshot_db.execute(
        """
        select channel, attribution_model,
            cast(sum(attributed_margin_rc) - sum(spend_rc) as double) / nullif(cast(sum(spend_rc) as double), 0) as roi,
            cast(sum(attributed_revenue_rc) as double) / nullif(cast(sum(spend_rc) as double), 0) as roas,
            cast(sum(spend_rc) as double) / nullif(sum(conversions), 0) as cac
        from marts.fct_roi_by_channel
        group by all
        """
    ).df()
    merged = expected.merge(answered, on=["channel", "attribution_model"], how="outer", suffixes=("_sql", "_mf"))
    assert (
        len(merged)
        == len(expected)
        == len(answered)
        == expected["attribution_model"].nunique() * expected["channel"].nunique()
    )
    assert merged["roi_sql"].notna().sum() > 0
    for row in merged.itertuples():
        for measure in ("roi", "roas", "cac"):
            sql_value = getattr(row, f"{measure}_sql")
            mf_value = getattr(row, f"{measure}_mf")
            # cac: the mart leaves it null without conversions; MetricFlow's ratio divides by a null-if-zero too
            assert close(mf_value, sql_value), (row.channel, row.attribution_model, measure, mf_value, sql_value)


def test_budget_variance_by_fiscal_quarter_equals_the_channel_roll_up_mart(
    built: Pipeline, snapshot_db, tmp_path: Path
):
    answered = mf_query(
        built,
        tmp_path,
        "--metrics",
        "budget,actual,variance,variance_pct",
        "--group-by",
        "metric_time__fiscal_quarter,channel",
    )
    labels = snapshot_db.execute(
        "select distinct fiscal_quarter, fiscal_quarter_label from marts.metricflow_time_spine"
    ).df()
    answered["fiscal_quarter"] = pd.to_datetime(answered["metric_time__fiscal_quarter"]).dt.date
    labels["fiscal_quarter"] = pd.to_datetime(labels["fiscal_quarter"]).dt.date
    answered = answered.merge(labels, on="fiscal_quarter", how="left")
    assert answered["fiscal_quarter_label"].notna().all()
    roll_up = snapshot_db.execute(
        """
        select period_label as fiscal_quarter_label, channel,
            cast(budget_rc as double) as budget, cast(actual_rc as double) as actual,
            cast(variance_rc as double) as variance, variance_pct
        from marts.fct_budget_vs_actual_by_channel
        -- the roll-up's `unbudgeted` rows are spend outside every budget line (fct_unbudgeted_spend):
        -- the budget metrics are over budget lines, so they have no such channel
        where period_grain = 'quarter' and channel <> 'unbudgeted'
        """
    ).df()
    merged = roll_up.merge(answered, on=["fiscal_quarter_label", "channel"], how="inner", suffixes=("_mart", "_mf"))
    assert len(merged) == len(roll_up) > 0
    for row in merged.itertuples():
        for measure in ("budget", "actual", "variance", "variance_pct"):
            mart_value, mf_value = getattr(row, f"{measure}_mart"), getattr(row, f"{measure}_mf")
            assert close(mf_value, mart_value), (row.fiscal_quarter_label, row.channel, measure, mf_value, mart_value)


def test_sync_and_tracking_rates_equal_what_the_target_checks_measured(built: Pipeline, snapshot_db, tmp_path: Path):
    answered = mf_query(built, tmp_path, "--metrics", "sync_rate,tracking_rate")
    measured = dict(
        snapshot_db.execute(
            """
            select check_name, measured_value from audit.dq_results
            where check_name in ('data_sync_target', 'budget_tracking_target')
            qualify row_number() over (partition by check_name order by evaluated_at desc) = 1
            """
        ).fetchall()
    )
    assert set(measured) == {"data_sync_target", "budget_tracking_target"}
    assert math.isclose(answered["sync_rate"][0], measured["data_sync_target"], rel_tol=1e-12)
    assert math.isclose(answered["tracking_rate"][0], measured["budget_tracking_target"], rel_tol=1e-12)


def test_projected_month_end_spend_is_the_latest_projection_of_each_line(built: Pipeline, snapshot_db, tmp_path: Path):
    latest_month = snapshot_db.execute(
        "select max(fiscal_period) from marts.fct_budget_pacing where is_latest"
    ).fetchone()[0]
    answered = mf_query(
        built,
        tmp_path,
        "--metrics",
        "projected_month_end_spend,spend_to_date",
        "--group-by",
        "budget_line,metric_time__month",
        "--where",
        f"{{{{ TimeDimension('metric_time', 'month') }}}} = '{latest_month}-01'",
    )
    expected = snapshot_db.execute(
        """
        select budget_line_id as budget_line, cast(projected_spend_rc as double) as projected,
            cast(spend_to_date_rc as double) as to_date
        from marts.fct_budget_pacing
        where is_latest
        """
    ).df()
    merged = expected.merge(answered, on="budget_line", how="outer")
    assert len(merged) == len(expected) > 0
    for row in merged.itertuples():
        assert close(row.projected_month_end_spend, row.projected), row
        assert close(row.spend_to_date, row.to_date), row


def test_spend_by_owner_team_and_fiscal_year_joins_the_campaign_dimension(built: Pipeline, snapshot_db, tmp_path: Path):
    answered = mf_query(built, tmp_path, "--metrics", "spend", "--group-by", "campaign__owner_team,metric_time__year")
    expected = snapshot_db.execute(
        """
        select campaigns.owner_team, year(spend.spend_date) as year, cast(sum(spend.spend_rc) as double) as spend
        from marts.fct_marketing_spend_daily as spend
        left join marts.dim_campaigns as campaigns
            on spend.platform = campaigns.platform and spend.campaign_id = campaigns.campaign_id
        group by all
        """
    ).df()
    answered["year"] = pd.to_datetime(answered["metric_time__year"]).dt.year
    answered = answered.rename(columns={"campaign__owner_team": "owner_team"})
    merged = expected.merge(answered, on=["owner_team", "year"], how="outer", suffixes=("_sql", "_mf"))
    assert len(merged) == len(expected) > 1
    for row in merged.itertuples():
        assert close(row.spend_mf, row.spend_sql), row
