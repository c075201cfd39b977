"""The publish gate: a failed data-integrity check holds back the snapshot, and only the snapshot.

The rule on hand-made check evaluations first, then a tiny asset graph around the real snapshot asset:
a mart, a table built from it, and a separate (non-blocking) ERROR check op on each. The check of the
table becomes ready when the snapshot does, and its step key (``warehouse__…``) sorts after the snapshot's
(``publish__…``): only the snapshot's step priority makes the gate wait for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.publish.assets import SNAPSHOT_KEY, build_snapshot_asset
from orchestration.defs.resources import Warehouse
from orchestration.lib import publish_gate, snapshot
from orchestration.lib.warehouse import connect

MART = dg.AssetKey(["warehouse", "fct_orders"])
READER = dg.AssetKey(["warehouse", "fct_orders_by_month"])


def evaluation(name: str, *, passed: bool, severity: dg.AssetCheckSeverity) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(asset_key=MART, check_name=name, passed=passed, severity=severity)


ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def test_only_a_failed_error_check_or_a_check_not_evaluated_refuses() -> None:
    grain = evaluation("grain_is_unique", passed=True, severity=ERROR)
    missed_target = evaluation("roi_accuracy", passed=False, severity=WARN)
    planned = {"warehouse/fct_orders :: grain_is_unique", "warehouse/fct_orders :: roi_accuracy"}
    assert publish_gate.refusal(planned, [grain, missed_target]) is None  # a missed target never holds it back

    lost_rows = evaluation("rows_accounted_for", passed=False, severity=ERROR)
    refused = publish_gate.refusal(planned | {"warehouse/fct_orders :: rows_accounted_for"}, [grain, lost_rows])
    assert refused == (
        "snapshot not published, the previous one is kept: "
        "1 data-integrity check(s) failed: warehouse/fct_orders :: rows_accounted_for; "
        "1 check(s) planned but not evaluated: warehouse/fct_orders :: roi_accuracy"
    )
    assert publish_gate.integrity_failures([grain, missed_target, lost_rows]) == [
        "warehouse/fct_orders :: rows_accounted_for"
    ]


def graph(check_passes: bool) -> list[dg.AssetsDefinition | dg.AssetChecksDefinition]:
    @dg.asset(key=MART)
    def orders(warehouse: Warehouse) -> None:
        with warehouse.connect() as connection:
            connection.execute("create schema if not exists warehouse")
            connection.execute("create or replace table warehouse.fct_orders as select 1 as order_id, 10.0 as amount")

    @dg.asset(key=READER, deps=[MART])
    def orders_by_month(warehouse: Warehouse) -> None:
        with warehouse.connect() as connection:
            connection.execute(
                "create or replace table warehouse.fct_orders_by_month as select sum(amount) as amount "
                "from warehouse.fct_orders"
            )

    @dg.asset_check(asset=MART, name="amounts_converted")
    def amounts_converted() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=check_passes, severity=ERROR, description="1 amount without FX rate")

    @dg.asset_check(asset=READER, name="months_complete")
    def months_complete() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True, severity=ERROR)

    return [orders, orders_by_month, amounts_converted, months_complete, build_snapshot_asset([MART, READER])]


@pytest.mark.parametrize("check_passes", [True, False])
def test_a_failed_integrity_check_holds_back_only_the_snapshot(tmp_path: Path, check_passes: bool) -> None:
    warehouse = tmp_path / "roi.duckdb"
    resource = Warehouse(path=str(warehouse), landing_dir=str(tmp_path), reporting_currency="USD")
    result = dg.materialize(graph(check_passes), resources={"warehouse": resource}, raise_on_error=False)

    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert {MART, READER} <= materialized  # the table built from the failing mart is rebuilt all the same
    with connect(warehouse, read_only=True) as connection:
        assert connection.execute("select amount from warehouse.fct_orders_by_month").fetchone()[0] == 10
    published = snapshot.snapshot_path(warehouse).exists()
    assert published == check_passes == result.success
    if not check_passes:
        (failure,) = [event for event in result.all_events if event.is_step_failure]
        assert failure.step_key == "publish__warehouse_snapshot"
        message = failure.step_failure_data.error.message
        assert "1 data-integrity check(s) failed: warehouse/fct_orders :: amounts_converted" in message
        assert "planned but not evaluated" not in message


def test_a_run_that_continues_another_reads_its_checks_too(tmp_path: Path) -> None:
    """A spend-only build's two runs: the first's failed integrity check holds back the second's snapshot."""
    warehouse = tmp_path / "roi.duckdb"
    resources = {"warehouse": Warehouse(path=str(warehouse), landing_dir=str(tmp_path), reporting_currency="USD")}
    with dg.instance_for_test() as instance:
        first = dg.materialize(
            graph(check_passes=False), selection=[MART], resources=resources, instance=instance, raise_on_error=False
        )
        assert first.success  # the failed check stops nothing in the first run
        second = dg.materialize(
            graph(check_passes=True),
            selection=[READER, SNAPSHOT_KEY],
            resources=resources,
            instance=instance,
            tags={publish_gate.CONTINUES_RUN_TAG: first.run_id},
            raise_on_error=False,
        )
    assert not second.success and not snapshot.snapshot_path(warehouse).exists()
    (failure,) = [event for event in second.all_events if event.is_step_failure]
    assert "1 data-integrity check(s) failed: warehouse/fct_orders :: amounts_converted" in (
        failure.step_failure_data.error.message
    )


def test_no_check_of_the_project_is_blocking_and_the_snapshot_step_runs_last() -> None:
    """The gate is the one mechanism: a Dagster-blocking check would skip every step after it."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = [spec for assets_def in graph.assets_defs for spec in assets_def.check_specs]
    assert len(specs) > 200  # dbt tests, GX suites, ingestion and attribution checks
    assert [spec.key for spec in specs if spec.blocking] == []
    priorities = {
        assets_def.node_def.name: int(assets_def.node_def.tags.get("dagster/priority", 0))
        for assets_def in graph.assets_defs
        if assets_def.is_executable
    }
    snapshot_step = priorities.pop("publish__warehouse_snapshot")
    assert snapshot_step < min(priorities.values())


def test_a_dbt_test_s_check_keeps_what_dagster_dbt_gives_it_but_blocking() -> None:
    from dagster_dbt import DagsterDbtTranslator

    from orchestration.defs.dbt.assets import translator
    from orchestration.lib.settings import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    tests = [
        (unique_id, node["attached_node"])
        for unique_id, node in manifest["nodes"].items()
        if unique_id.startswith("test.") and node.get("attached_node")
    ]
    default = DagsterDbtTranslator(settings=translator.settings)
    blocking_by_default = 0
    for unique_id, model in tests[:25]:
        asset_spec = translator.get_asset_spec(manifest, model, None)
        ours = translator.get_asset_check_spec(asset_spec, manifest, unique_id, None)
        theirs = default.get_asset_check_spec(asset_spec, manifest, unique_id, None)
        assert ours is not None and theirs is not None
        assert not ours.blocking
        assert ours == theirs._replace(blocking=False)
        blocking_by_default += theirs.blocking  # dagster-dbt's default blocks on an ERROR-severity test
    assert len(tests) > 100 and blocking_by_default > 0
