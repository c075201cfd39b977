"""The dashboard's readers on hand-made marts, and how they follow the published snapshot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import metrics
from orchestration.lib.dashboard import data


@pytest.fixture
def marts() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.execute(
        """
        create table marts.fct_roi_by_channel as select * from (values
            ('linear', 'search', '2025-01', 100.0, 2.0, 300.0, 150.0, -0.2, 0.9),
            ('linear', 'search', '2025-02', 300.0, 4.0, 500.0, 250.0, -0.5, 0.1),
            ('linear', 'social', '2025-01', 50.0, 0.0, 0.0, 0.0, -1.0, -1.0),
            ('linear', 'organic', '2025-01', 0.0, 1.0, 80.0, 40.0, null, null),
            ('markov', 'search', '2025-01', 100.0, 3.0, 900.0, 400.0, 1.0, 4.0)
        ) as t(attribution_model, channel, period, spend_rc, conversions, attributed_revenue_rc,
               attributed_margin_rc, roi_ci_low, roi_ci_high)
        """
    )
    connection.execute(
        """
        create table marts.fct_budget_vs_actual as select * from (values
            ('2025-01', 'BL-1', 'search', 100.0, 80.0, 90.0, -10.0),
            ('2025-02', 'BL-1', 'search', 100.0, 120.0, 110.0, 10.0),
            ('2025-01', 'BL-2', 'social', 50.0, 40.0, 40.0, -10.0)
        ) as t(fiscal_period, budget_line_id, channel, budget_rc, platform_actual_rc, actual_rc, variance_rc)
        """
    )
    connection.execute(
        """
        create table marts.dim_campaigns as select * from (values
            ('google', 'c1', 'BL-1', 'Team A'),
            ('google', 'c2', 'BL-1', 'Team B'),
            ('meta', 'c3', 'BL-2', 'Team B')
        ) as t(platform, campaign_id, budget_line_id, owner_team)
        """
    )
    connection.execute(
        """
        create table marts.fct_marketing_spend_daily as select * from (values
            (date '2025-01-10', 'google', 'c1', 'BL-1', 60.0),
            (date '2025-01-20', 'google', 'c2', 'BL-1', 20.0),
            (date '2025-02-05', 'google', 'c1', 'BL-1', 120.0),
            (date '2025-01-15', 'meta', 'c3', 'BL-2', 40.0)
        ) as t(spend_date, platform, campaign_id, budget_line_id, spend_rc)
        """
    )
    yield connection
    connection.close()


def test_channel_performance_sums_the_months_and_applies_the_marts_formulas(marts):
    rows = data.channel_performance(marts, "linear", "2025-01", "2025-02", ()).set_index("channel")
    search = rows.loc["search"]
    assert search["spend_rc"] == 400.0 and search["attributed_revenue_rc"] == 800.0
    assert search["roas"] == pytest.approx(2.0)
    assert search["roi"] == pytest.approx((400.0 - 400.0) / 400.0)
    assert search["cac"] == pytest.approx(400.0 / 6.0)
    # intervals do not add up over months: shown for one month only
    assert search[["roi_ci_low", "roi_ci_high"]].isna().all()
    assert rows.loc["social", "roi"] == pytest.approx(-1.0) and rows.loc["social", "roi_ci_high"] == -1.0
    # no spend: no ratios, never a division by zero
    assert rows.loc["organic", ["roas", "roi", "cac"]].isna().all()
    assert list(rows.index) == ["search", "social", "organic"]  # most spend first


def test_channel_performance_filters_model_month_and_channels(marts):
    rows = data.channel_performance(marts, "markov", "2025-01", "2025-01", ("search",))
    assert rows.to_dict("records") == [
        {
            "channel": "search",
            "spend_rc": 100.0,
            "conversions": 3.0,
            "attributed_revenue_rc": 900.0,
            "attributed_margin_rc": 400.0,
            "roas": 9.0,
            "roi": 3.0,
            "roi_ci_low": 1.0,
            "roi_ci_high": 4.0,
            "cac": pytest.approx(100.0 / 3.0),
        }
    ]


def test_each_team_sees_its_share_of_the_lines_it_spends_on(marts):
    rows = data.team_budget_lines(marts, "2025-01", "2025-01")
    by_key = {(row["owner_team"], row["budget_line_id"]): row for row in rows.to_dict("records")}
    assert set(by_key) == {("Team A", "BL-1"), ("Team B", "BL-1"), ("Team B", "BL-2")}
    assert by_key[("Team A", "BL-1")]["team_spend_rc"] == 60.0
    assert by_key[("Team A", "BL-1")]["team_share"] == pytest.approx(0.75)
    assert by_key[("Team B", "BL-1")]["team_share"] == pytest.approx(0.25)
    # the line's own figures, the same for every team that spends it
    assert by_key[("Team B", "BL-1")]["budget_rc"] == 100.0
    assert by_key[("Team B", "BL-1")]["variance_pct"] == pytest.approx(-0.1)
    over_two_months = data.team_budget_lines(marts, "2025-01", "2025-02")
    team_a = over_two_months[over_two_months["owner_team"] == "Team A"].iloc[0]
    assert team_a["team_spend_rc"] == 180.0 and team_a["budget_rc"] == 200.0
    assert team_a["team_share"] == pytest.approx(180.0 / 200.0)


def test_the_snapshot_version_changes_with_each_publication(tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    with pytest.raises(data.SnapshotMissingError):
        data.snapshot_info(warehouse)
    snapshot = tmp_path / "roi_snapshot.duckdb"
    duckdb.connect(str(snapshot)).close()
    first = data.snapshot_info(warehouse)
    with data.open_snapshot(first) as connection:
        assert connection.execute("select 1").fetchone() == (1,)
    # a publication: a new file moved into place, as orchestration/lib/snapshot.py does
    staging = tmp_path / ".roi_snapshot.duckdb.tmp"
    connection = duckdb.connect(str(staging))
    connection.execute("create table marker as select 1 as published")
    connection.close()
    os.replace(staging, snapshot)
    second = data.snapshot_info(warehouse)
    assert second.version != first.version
    with pytest.raises(data.SnapshotChangedError), data.open_snapshot(first):
        pass  # the reader asked for the old snapshot and would have got the new one


def test_mf_reads_the_catalog_the_semantic_models_were_parsed_with(tmp_path: Path):
    manifest = tmp_path / "semantic_manifest.json"
    relation = {"database": "acme", "schema_name": "marts", "alias": "fct_roi_by_channel"}
    manifest.write_text(json.dumps({"semantic_models": [{"node_relation": relation}] * 2}))
    assert metrics.manifest_catalog(manifest) == "acme"
    with pytest.raises(metrics.SemanticManifestMissingError):
        metrics.manifest_catalog(tmp_path / "missing.json")
