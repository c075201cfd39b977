"""Spend-only runs: when a run may leave attribution as built, how the stages are drawn from the asset graph,
and what the landing sensor starts for a new spend file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.pipeline import automation
from orchestration.defs.pipeline.refresh import REFRESH_JOB_NAME
from orchestration.lib import freshness, spend_only
from orchestration.lib.freshness import OTHER_PATHS
from orchestration.lib.sources import SOURCES_BY_NAME


def _inputs(landing: dict[str, str], **other: str) -> dict[str, str]:
    return {"landing": json.dumps(landing), "landing_sources": json.dumps(landing), "code": "c", **other}


BUILT = {"google_ads": "g1", "vendor_invoices": "v1", "touchpoints": "t1", OTHER_PATHS: "o1"}


def test_new_files_of_non_journey_sources_only_are_a_spend_only_run():
    now = {**BUILT, "google_ads": "g2", "vendor_invoices": "v2"}
    decision = spend_only.decide(_inputs(BUILT), _inputs(now), "run-1")
    assert decision.spend_only and decision.sources == ("google_ads", "vendor_invoices")
    assert decision.reason.startswith("only google_ads, vendor_invoices changed since run run-1")


@pytest.mark.parametrize(
    ("now", "other", "reason"),
    [
        ({**BUILT, "google_ads": "g2", "touchpoints": "t2"}, {}, "journey source(s) changed: touchpoints"),
        ({**BUILT, "google_ads": "g2", OTHER_PATHS: "o2"}, {}, "a landing path that is not a source's landing file"),
        ({**BUILT, "google_ads": "g2"}, {"code": "c2"}, "code changed since run run-1"),
    ],
)
def test_a_journey_source_another_path_or_changed_code_is_a_full_build(now, other, reason):
    decision = spend_only.decide(_inputs(BUILT), _inputs(now, **other), "run-1")
    assert decision.mode == spend_only.FULL and reason in decision.reason


def test_without_a_recorded_build_or_its_per_source_digests_it_is_a_full_build():
    now = _inputs({**BUILT, "google_ads": "g2"})
    assert spend_only.decide(None, now).mode == spend_only.FULL
    old_record = {key: value for key, value in _inputs(BUILT).items() if key != "landing_sources"}
    assert "no digest per source" in spend_only.decide(old_record, now).reason


# A small asset graph: spend feeds campaigns (which touches read) and the spend mart; the ROI mart reads the
# spend mart and the credits; the snapshot reads both marts.
@dg.asset(key=["raw", "google_ads"])
def _google_ads() -> None: ...


@dg.asset(key=["raw", "touchpoints"])
def _touchpoints() -> None: ...


@dg.asset(key=["marts", "dim_campaigns"], deps=[_google_ads])
def _campaigns() -> None: ...


@dg.asset(key=["marts", "fct_spend"], deps=[_google_ads])
def _spend() -> None: ...


@dg.asset(key=["marts", "fct_credits"], deps=[_touchpoints, _campaigns])
def _credits() -> None: ...


@dg.asset(key=["marts", "fct_roi"], deps=[_spend, _credits])
def _roi() -> None: ...


@dg.asset(key=["publish", "snapshot"], deps=[_roi, _spend])
def _snapshot() -> None: ...


GRAPH_ASSETS = [_google_ads, _touchpoints, _campaigns, _spend, _credits, _roi, _snapshot]


def _keys(*names: str) -> set[dg.AssetKey]:
    return {dg.AssetKey(name.split("/")) for name in names}


def test_stage_one_is_what_reads_no_touches_and_stage_two_what_reads_a_changed_frontier_table():
    graph = dg.Definitions(assets=GRAPH_ASSETS).resolve_asset_graph()
    stages = spend_only.stages(graph, ["google_ads"], dg.AssetSelection.all())
    assert stages.spend_side == _keys("raw/google_ads", "marts/dim_campaigns", "marts/fct_spend")
    assert stages.frontier == _keys("marts/dim_campaigns", "marts/fct_spend")
    # Campaigns unchanged: the credits are left as built; the ROI mart and the snapshot read the new spend.
    assert stages.second(graph, _keys("marts/dim_campaigns")) == _keys("marts/fct_roi", "publish/snapshot")
    # A new campaign: the credits are rebuilt too.
    assert stages.second(graph, set()) == _keys("marts/fct_credits", "marts/fct_roi", "publish/snapshot")


def test_an_asset_whose_check_reads_a_stage_two_asset_moves_to_stage_two():
    graph = dg.Definitions(assets=GRAPH_ASSETS).resolve_asset_graph()
    reads = {dg.AssetKey(["marts", "fct_spend"]): _keys("marts/fct_roi")}
    stages = spend_only.stages(graph, ["google_ads"], dg.AssetSelection.all(), reads)
    assert stages.spend_side == _keys("raw/google_ads", "marts/dim_campaigns")
    assert dg.AssetKey(["marts", "fct_spend"]) in stages.second(graph, _keys("marts/dim_campaigns"))


def test_relation_digest_sees_any_change_of_content_but_not_of_order():
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.execute("create table marts.t as select * from (values (1, 'a'), (2, 'b'), (2, 'b')) v(n, s)")
    key = dg.AssetKey(["marts", "t"])
    before = spend_only.relation_digest(connection, key)
    connection.execute("create or replace table marts.t as select * from marts.t order by n desc")
    assert spend_only.relation_digest(connection, key) == before
    connection.execute("delete from marts.t where n = 2 and rowid = (select max(rowid) from marts.t where n = 2)")
    assert spend_only.relation_digest(connection, key) != before  # a duplicate row less is a change
    assert spend_only.relation_digest(connection, dg.AssetKey(["marts", "missing"])) is None


@pytest.fixture
def recorded_landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A landing zone with spend and touchpoints, and a warehouse that recorded a build of it."""
    landing = tmp_path / "landing"
    for name in ("google_ads", "touchpoints"):
        folder = landing / SOURCES_BY_NAME[name].folder
        folder.mkdir(parents=True)
        (folder / f"{name}_2025-01.csv").write_text("a,b\n1,2\n")
        os.utime(folder / f"{name}_2025-01.csv", (1_700_000_000, 1_700_000_000))
    warehouse = tmp_path / "roi.duckdb"
    monkeypatch.setenv("ROI_LANDING_DIR", str(landing))
    monkeypatch.setenv("ROI_WAREHOUSE", str(warehouse))
    monkeypatch.setattr(automation, "landing_dir", lambda: landing)
    monkeypatch.setattr(automation, "warehouse_path", lambda: warehouse)
    freshness.record(warehouse, freshness.build_inputs(), run_id="run-1")
    return landing


def _requested_job() -> str | None:
    """The job the sensor starts for the landing zone as it is, given that it last saw the recorded one."""
    with dg.instance_for_test() as instance:
        result = automation.landing_zone_sensor(
            dg.build_sensor_context(instance=instance, cursor=json.dumps({"built": "the recorded landing zone"}))
        )
    return result.run_requests[0].job_name if result.run_requests else None


def test_the_sensor_starts_a_spend_only_refresh_for_a_spend_file(recorded_landing: Path):
    folder = recorded_landing / SOURCES_BY_NAME["google_ads"].folder
    (folder / "google_ads_2025-01-02.csv").write_text("a,b\n3,4\n")
    assert _requested_job() == REFRESH_JOB_NAME


def test_the_sensor_starts_a_full_build_for_a_touchpoint_file(recorded_landing: Path):
    folder = recorded_landing / SOURCES_BY_NAME["touchpoints"].folder
    (folder / "touchpoints_2025-01-02.csv").write_text("a,b\n3,4\n")
    assert _requested_job() == automation.BUILD_JOB_NAME


def test_the_sensor_takes_the_recorded_build_for_built_and_starts_nothing(recorded_landing: Path):
    assert _requested_job() is None
