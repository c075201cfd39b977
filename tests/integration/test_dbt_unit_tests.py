"""Every dbt unit test of the project, on a copy of the built warehouse.

dbt unit tests pin the hand-worked rules (micros, the FX as-of rule, restatements, stitching, the
reconciliation tolerance, budget versions, booked-else-platform, FX at the posting date, April fiscal
years, the pacing projection, every attribution model's weights, the ROI formula). Production builds
leave them out, as dbt advises; they need their models' parents to exist (for column types), so they
run here against a copy of the warehouse the session built.

The same dbt invocation runs the project's own generic tests and macros on their inline fixtures
(``dbt_project/tests/generic_tests`` and ``tests/macros``: rows where each must fail and rows where it
must pass, a row returned for every expectation not met): one dbt start-up and parse instead of two.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.lib.settings import dbt_vars
from tests.integration.conftest import REPO, Pipeline

# At least this many: the foundation's, finance's and attribution's (a floor, so deleting tests is noticed).
MINIMUM_UNIT_TESTS = 30
# The generic tests' and macros' own tests (tag macro_self_test), likewise a floor.
MINIMUM_MACRO_SELF_TESTS = 6


def test_every_dbt_unit_test_and_macro_self_test_passes(built: Pipeline, tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    shutil.copy(built.warehouse, warehouse)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "test",
            "--select",
            "test_type:unit",
            "tag:macro_self_test",
            "--vars",
            json.dumps(dbt_vars()),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=REPO / "dbt_project",
        env={**built.env, "ROI_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+)", result.stdout)
    assert summary is not None, result.stdout[-2000:]
    passed, warned, errored = map(int, summary.groups())
    assert warned == 0 and errored == 0
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    # The project's on-run-start hook (lake sources on Spark; nothing on DuckDB) is an operation, not a test;
    # dbt's PASS count includes it.
    operations = [result for result in results if result["unique_id"].startswith("operation.")]
    assert all(operation["status"] == "success" for operation in operations)
    statuses = {result["unique_id"]: result["status"] for result in results if result not in operations}
    unit_tests = [node for node in statuses if node.startswith("unit_test.")]
    macro_self_tests = [node for node in statuses if node.startswith("test.")]
    assert len(unit_tests) >= MINIMUM_UNIT_TESTS
    assert len(macro_self_tests) >= MINIMUM_MACRO_SELF_TESTS
    assert set(statuses.values()) == {"pass"} and passed == len(statuses) + len(operations)
