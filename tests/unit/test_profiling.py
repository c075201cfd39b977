"""audit.run_step_timings: dbt's run_results.json and Dagster's step times, as the run records them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import profiling

RUN_RESULTS = {
    "results": [
        {
            "unique_id": "model.roi_warehouse.int_attribution_channel_weights",
            "status": "success",
            "execution_time": 11.25,
            "timing": [
                {"name": "compile", "started_at": "2026-01-05T10:00:01.500000Z", "completed_at": "x"},
                {"name": "execute", "started_at": "2026-01-05T10:00:02Z", "completed_at": "x"},
            ],
        },
        {"unique_id": "test.roi_warehouse.grain_fct_x", "status": "fail", "execution_time": 0.5, "timing": []},
        {"unique_id": "seed.roi_warehouse.channels", "status": "success", "execution_time": None},
    ]
}


def test_dbt_node_timings_take_execution_time_and_the_first_phase_start():
    timings = profiling.dbt_node_timings(RUN_RESULTS)
    assert [(t.name, t.seconds, t.status) for t in timings] == [
        ("model.roi_warehouse.int_attribution_channel_weights", 11.25, "success"),
        ("test.roi_warehouse.grain_fct_x", 0.5, "fail"),
        ("seed.roi_warehouse.channels", 0.0, "success"),
    ]
    assert timings[0].started_at == dt.datetime(2026, 1, 5, 10, 0, 1, 500000)
    assert timings[1].started_at is None
    assert {t.kind for t in timings} == {"dbt_node"}


def test_a_run_records_its_timings_once_and_the_slowest_come_first(tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    nodes = profiling.dbt_node_timings(RUN_RESULTS)
    steps = [
        profiling.StepTiming("dagster_step", "dbt_models", 14.0),
        profiling.StepTiming("dagster_step", "ingest", 3),
    ]
    assert profiling.record(warehouse, "run-1", nodes) == 3
    assert profiling.record(warehouse, "run-1", steps) == 2
    assert profiling.record(warehouse, "run-1", nodes) == 3  # recorded again (a retried step): replaced, not doubled
    # A second dbt call in the same run (the optimisation models) adds its nodes; the first call's stay.
    later_call = [profiling.StepTiming("dbt_node", "model.roi_warehouse.fct_budget_scenarios", 0.25)]
    assert profiling.record(warehouse, "run-1", later_call) == 1
    assert profiling.record(warehouse, "run-2", steps[:1]) == 1
    assert profiling.slowest(warehouse, "run-1", "dbt_node", limit=2) == [
        ("model.roi_warehouse.int_attribution_channel_weights", 11.25),
        ("test.roi_warehouse.grain_fct_x", 0.5),
    ]
    assert profiling.slowest(warehouse, "run-1", "dagster_step") == [("dbt_models", 14.0), ("ingest", 3.0)]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        per_run = connection.execute(
            "select run_id, kind, count(*), sum(seconds) from audit.run_step_timings group by all order by all"
        ).fetchall()
    assert per_run == [
        ("run-1", "dagster_step", 2, pytest.approx(17.0)),
        ("run-1", "dbt_node", 4, pytest.approx(12.0)),
        ("run-2", "dagster_step", 1, pytest.approx(14.0)),
    ]
    assert profiling.record(warehouse, "run-3", []) == 0
