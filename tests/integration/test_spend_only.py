"""Spend-only runs: a new day of spend and an invoice rebuild spend, finance and the snapshot, not attribution,
and leave every mart exactly as a full rebuild of the same files does."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from seeds._spend import next_google_ads_day
from tests.integration.conftest import Pipeline, mart_rows, open_instance

# Two builds of its own (the spend-only run and the full one it must equal): over a minute even on an idle machine.
pytestmark = pytest.mark.slow

GOOGLE_ADS = Path("marketing") / "google_ads"
INVOICES = Path("finance") / "vendor_invoices"
# Journey-side assets a new day of spend for known campaigns in known currencies must leave as built.
ATTRIBUTION = [
    dg.AssetKey(["marts", "fct_attribution_credits"]),
    dg.AssetKey(["marts", "fct_channel_attribution"]),
    dg.AssetKey(["intermediate", "int_journey_touches_windowed"]),
    dg.AssetKey(["intermediate", "int_attribution_markov_credits"]),
    dg.AssetKey(["intermediate", "int_attribution_channel_weights"]),
    # the bootstrap's draws: journeys resampled, spend plays no part (the intervals divide them by spend)
    dg.AssetKey(["attribution", "roi_bootstrap_draws"]),
]
# What the new files change: spend, reconciliation, budget tracking and pacing, ROI, the snapshot.
REBUILT = [
    dg.AssetKey(["raw", "google_ads"]),
    dg.AssetKey(["raw", "vendor_invoices"]),
    dg.AssetKey(["marts", "fct_marketing_spend_daily"]),
    dg.AssetKey(["marts", "fct_spend_reconciliation"]),
    dg.AssetKey(["marts", "fct_budget_vs_actual"]),
    dg.AssetKey(["marts", "fct_budget_pacing"]),
    dg.AssetKey(["marts", "fct_roi_by_channel"]),
    dg.AssetKey(["attribution", "roi_bootstrap_intervals"]),
    dg.AssetKey(["publish", "warehouse_snapshot"]),
]
SNAPSHOT = dg.AssetKey(["publish", "warehouse_snapshot"])


def add_spend_day_and_invoice(landing: Path) -> None:
    """Google Ads' last day again as the next day (same campaigns and currencies), and one more invoice line."""
    day, next_day = next_google_ads_day(landing)
    day.to_csv(landing / GOOGLE_ADS / f"google_ads_{next_day}.csv", index=False)
    invoices = pd.read_csv(sorted((landing / INVOICES).glob("vendor_invoices_*"))[-1], dtype=str)
    extra = invoices.head(1).copy()
    extra["invoice_id"] = extra["invoice_id"] + "-LATE"
    extra["amount"] = "1234.56"
    extra.to_csv(landing / INVOICES / "vendor_invoices_late.csv", index=False)


def latest_runs(pipeline: Pipeline, keys: list[dg.AssetKey]) -> dict[dg.AssetKey, str]:
    with open_instance(pipeline.env["DAGSTER_HOME"]) as instance:
        events = {key: instance.get_latest_materialization_event(key) for key in keys}
    return {key: event.run_id for key, event in events.items() if event is not None}


@pytest.fixture(scope="module")
def spend_only_and_full(built: Pipeline, tmp_path_factory: pytest.TempPathFactory):
    before = latest_runs(built, ATTRIBUTION + REBUILT)
    staged = built.copy_to(tmp_path_factory.mktemp("spend_only"))
    full = built.copy_to(tmp_path_factory.mktemp("full"))
    for pipeline in (staged, full):
        add_spend_day_and_invoice(pipeline.landing)
    staged_run = staged.run("run", "--log-level", "WARNING")
    full_run = full.run("run", "--log-level", "WARNING", "--force")
    for run in (staged_run, full_run):
        assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-6000:]}"
    return before, staged, staged_run, full, full_run


def test_new_spend_files_make_a_spend_only_run_and_force_a_full_one(spend_only_and_full):
    _, _, staged_run, _, full_run = spend_only_and_full
    assert "Mode          spend-only build: only google_ads, vendor_invoices changed since run" in staged_run.stdout
    assert "Stage 2 rebuilds" in staged_run.stdout
    assert "Mode          full build: --force" in full_run.stdout


def test_a_spend_only_run_leaves_every_mart_as_a_full_rebuild_does(spend_only_and_full):
    _, staged, _, full, _ = spend_only_and_full
    staged_marts, full_marts = mart_rows(staged.warehouse), mart_rows(full.warehouse)
    assert sorted(staged_marts) == sorted(full_marts)
    different = [table for table in full_marts if staged_marts[table] != full_marts[table]]
    assert different == []
    # The new day is in: the spend fact has a row for it in both.
    with staged.connect() as connection:
        days = connection.execute(
            "select count(distinct spend_date) from marts.fct_marketing_spend_daily where platform = 'google_ads'"
        ).fetchall()[0][0]
    with full.connect() as connection:
        assert (
            days
            == connection.execute(
                "select count(distinct spend_date) from marts.fct_marketing_spend_daily where platform = 'google_ads'"
            ).fetchall()[0][0]
        )


def test_a_spend_only_run_leaves_attribution_as_built_and_rebuilds_what_spend_feeds(spend_only_and_full):
    before, staged, _, full, _ = spend_only_and_full
    staged_runs, full_runs = latest_runs(staged, ATTRIBUTION + REBUILT), latest_runs(full, ATTRIBUTION + REBUILT)
    for key in ATTRIBUTION:
        assert staged_runs[key] == before[key], f"{key.to_user_string()} was rebuilt by the spend-only run"
        assert full_runs[key] != before[key]
    for key in REBUILT:
        assert staged_runs[key] != before[key], f"{key.to_user_string()} was not rebuilt"
    # The staged build is recorded as a finished one: the next run has nothing to do.
    assert staged.run("run").stdout.count("Nothing to do") == 1


def test_a_spend_only_run_publishes_the_spend_side_after_stage_one(spend_only_and_full):
    """Real-time budget tracking: pacing reaches the snapshot before stage two rebuilds the ROI marts."""
    _, staged, _, full, _ = spend_only_and_full
    with open_instance(staged.env["DAGSTER_HOME"]) as instance:
        # the newest first: stage two's, stage one's, then the build the copy was made of (before the new day)
        published = instance.fetch_materializations(SNAPSHOT, limit=3).records
        stages = [instance.get_run_by_id(record.run_id).tags.get("roi/stage") for record in published]
        tables = [record.asset_materialization.metadata["tables"].value for record in published]
        copied = [record.asset_materialization.metadata["tables_copied"].value for record in published]
    assert stages == ["2", "1", None]
    # each publish copies what changed: the credit fact was left as built, so it was copied by neither stage
    assert "marts.fct_marketing_spend_daily" in copied[1] and "marts.fct_roi_by_channel" in copied[0]
    assert "marts.fct_attribution_credits" not in copied[0] + copied[1]
    assert "marts.fct_attribution_credits" in copied[2]
    spend = "marts.fct_marketing_spend_daily"
    assert tables[2][spend] < tables[1][spend]  # the new day's rows
    with full.connect() as connection:
        for mart in ("fct_marketing_spend_daily", "fct_budget_pacing", "fct_budget_vs_actual"):
            rows = connection.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            # stage one's snapshot already held the new day, as the full build's tables do
            assert tables[1][f"marts.{mart}"] == tables[0][f"marts.{mart}"] == rows, mart
