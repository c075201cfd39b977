"""The dbt project's own generic tests and macros, tested on inline fixtures.

Each singular test under ``dbt_project/tests/generic_tests`` and
``dbt_project/tests/macros`` feeds a generic test or macro rows where it must
fail and rows where it must pass, and returns a row for every expectation that
is not met. They need no warehouse: dbt runs them on an in-memory DuckDB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_generic_tests_and_macros_pass_their_own_tests(tmp_path: Path):
    dbt = Path(sys.executable).parent / "dbt"
    env = {
        **os.environ,
        "ROI_WAREHOUSE": ":memory:",
        "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
        "DO_NOT_TRACK": "1",
    }
    result = subprocess.run(
        [
            str(dbt),
            "test",
            "--select",
            "tag:macro_self_test",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=REPO / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    summary = re.search(r"PASS=(\d+) WARN=(\d+) ERROR=(\d+)", result.stdout)
    assert summary is not None, result.stdout[-2000:]
    passed, warned, errored = map(int, summary.groups())
    assert passed >= 6 and warned == 0 and errored == 0
