"""dbt tests as checks: described in words a reader can act on, and kept in ``audit.dq_results``.

dagster-dbt gives a dbt test's check result no description and nothing of it reached the warehouse, so a
failed dbt test showed in the run summary as a bare name. These tests feed results shaped exactly as
dagster-dbt builds them (metadata ``unique_id`` and ``status``) and dbt's ``run_results.json`` entries.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.lib import dbt_tests
from orchestration.lib.warehouse import connect, ensure_audit_schema

IS_EMPTY = {
    "unique_id": "test.roi_warehouse.fx_conversion_errors_is_empty",
    "name": "fx_conversion_errors_is_empty",
    "description": "",
    "column_name": None,
    "test_metadata": {"name": "is_empty", "kwargs": {"model": "{{ get_where_subquery(ref('fx_conversion_errors')) }}"}},
    "attached_node": "model.roi_warehouse.fx_conversion_errors",
    "config": {"severity": "error"},
}
ACCEPTED_VALUES = {
    "unique_id": "test.roi_warehouse.accepted_values_fct_x_status",
    "name": "accepted_values_fct_x_status",
    "description": "",
    "column_name": "status",
    "test_metadata": {
        "name": "accepted_values",
        "kwargs": {"column_name": "status", "values": ["matched", "mismatched"], "model": "{{ ref('fct_x') }}"},
    },
    "attached_node": "model.roi_warehouse.fct_x",
    "config": {"severity": "warn"},
}
SINGULAR = {
    "unique_id": "test.roi_warehouse.assert_campaign_utm_codes_are_unique",
    "name": "assert_campaign_utm_codes_are_unique",
    "description": "",
    "original_file_path": "tests/attribution/assert_campaign_utm_codes_are_unique.sql",
    "depends_on": {"nodes": ["model.roi_warehouse.dim_campaigns"]},
    "config": {"severity": "error"},
}
DESCRIBED = {**IS_EMPTY, "description": "The reporting_currency var is\n  a code of the iso_currencies seed."}


def test_a_generic_test_without_a_description_says_what_it_asserts_and_on_what():
    assert dbt_tests.describe(IS_EMPTY) == "is_empty on fx_conversion_errors"
    assert dbt_tests.describe(ACCEPTED_VALUES) == "accepted_values on fct_x.status (values: matched, mismatched)"
    assert dbt_tests.describe(SINGULAR) == (
        "singular test assert_campaign_utm_codes_are_unique "
        "(tests/attribution/assert_campaign_utm_codes_are_unique.sql) returns no row"
    )
    assert dbt_tests.describe(DESCRIBED) == "The reporting_currency var is a code of the iso_currencies seed."


def test_a_long_argument_is_cut():
    node = {**ACCEPTED_VALUES, "test_metadata": {"name": "expression_is_true", "kwargs": {"expression": "x" * 500}}}
    described = dbt_tests.describe(node)
    assert described.endswith("…)") and len(described) < 250


def test_outcomes_carry_what_dbt_found():
    failed = dbt_tests.outcome(
        "fx_conversion_errors_is_empty",
        node=IS_EMPTY,
        status="fail",
        failures=312,
        message="Got 312 results, configured to fail if != 0",
    )
    assert not failed.passed and failed.status == "failed" and failed.kind == "integrity"
    assert failed.severity == dg.AssetCheckSeverity.ERROR
    assert (failed.value, failed.threshold) == (312.0, 0.0)
    assert failed.description == (
        "is_empty on fx_conversion_errors: 312 failing row(s) (Got 312 results, configured to fail if != 0)"
    )
    warned = dbt_tests.outcome("accepted_values_fct_x_status", node=ACCEPTED_VALUES, status="warn", failures=2)
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    errored = dbt_tests.outcome(
        "assert_campaign_utm_codes_are_unique",
        node=SINGULAR,
        status="error",
        failures=None,
        message='Catalog Error: Table "dim_campaigns" does not exist',
    )
    assert not errored.passed and errored.value is None
    assert errored.description.endswith(
        'could not run (dbt status error): Catalog Error: Table "dim_campaigns" does not exist'
    )
    passed = dbt_tests.outcome("fx_conversion_errors_is_empty", node=IS_EMPTY, status="pass", failures=0)
    assert passed.passed and passed.description == "is_empty on fx_conversion_errors: passed"


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "roi.duckdb"
    with connect(path) as connection:
        ensure_audit_schema(connection)
    monkeypatch.setenv("ROI_WAREHOUSE", str(path))
    return path


def test_every_dbt_test_result_is_described_and_lands_in_dq_results(warehouse: Path):
    from orchestration.defs.dbt.assets import record_test_results

    manifest = {"nodes": {IS_EMPTY["unique_id"]: IS_EMPTY, ACCEPTED_VALUES["unique_id"]: ACCEPTED_VALUES}}
    # As dagster-dbt yields them: no description, dbt's unique id and status in the metadata.
    results = [
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(["audit", "fx_conversion_errors"]),
            check_name="fx_conversion_errors_is_empty",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"unique_id": IS_EMPTY["unique_id"], "status": "fail", "dagster_dbt/failed_row_count": 3},
        ),
        dg.AssetCheckResult(
            asset_key=dg.AssetKey(["marts", "fct_x"]),
            check_name="accepted_values_fct_x_status",
            passed=True,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"unique_id": ACCEPTED_VALUES["unique_id"], "status": "pass"},
        ),
    ]
    run_results = {
        "results": [
            {"unique_id": IS_EMPTY["unique_id"], "status": "fail", "failures": 3, "message": "Got 3 results"},
            {"unique_id": ACCEPTED_VALUES["unique_id"], "status": "pass", "failures": 0, "message": None},
        ]
    }
    yielded = list(record_test_results("run-1", results, manifest, run_results))

    assert [result.description for result in yielded] == [
        "is_empty on fx_conversion_errors: 3 failing row(s) (Got 3 results)",
        "accepted_values on fct_x.status (values: matched, mismatched): passed",
    ]
    assert [result.passed for result in yielded] == [False, True]
    assert yielded[0].metadata["unique_id"].value == IS_EMPTY["unique_id"]  # dagster-dbt's metadata kept
    assert yielded[0].metadata["check_status"].value == "failed"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select run_id, check_name, asset_key, passed, severity, measured_value, threshold, details "
            "from audit.dq_results order by check_name"
        ).fetchall()
    assert [row[:7] for row in rows] == [
        ("run-1", "accepted_values_fct_x_status", "marts/fct_x", True, "WARN", 0.0, 0.0),
        ("run-1", "fx_conversion_errors_is_empty", "audit/fx_conversion_errors", False, "ERROR", 3.0, 0.0),
    ]
    details = json.loads(rows[1][7])
    assert details["description"] == "is_empty on fx_conversion_errors: 3 failing row(s) (Got 3 results)"
    assert (details["kind"], details["status"], details["producer"]) == ("integrity", "failed", "dbt")
