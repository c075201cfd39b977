"""The test suites' scheduling (tests/conftest.py): files that share a costly build run on one worker.

A small project with the repository's tests/conftest.py and stand-ins for the grouped files: each test
records the worker that ran it. Without the grouping, xdist's ``loadfile`` hands the largest files
(the grouped ones here) to both workers, so the assertion fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import SHARED_BUILDS, TESTS

RECORDER = """
import os
import pytest

@pytest.mark.parametrize("case", range({count}))
def test_case(case, request):
    out = os.environ["RECORD_DIR"]
    name = request.node.nodeid.replace("/", "_").replace(":", "_")
    with open(os.path.join(out, name), "w") as handle:
        handle.write(os.environ.get("PYTEST_XDIST_WORKER", "none") + " " + request.node.nodeid)
"""


def test_the_files_of_a_shared_build_run_on_one_worker(tmp_path: Path) -> None:
    project = tmp_path / "project"
    tests = project / "tests"
    (tests / "integration").mkdir(parents=True)
    shutil.copy(TESTS / "conftest.py", tests / "conftest.py")
    (project / "pytest.ini").write_text("[pytest]\n")
    grouped = next(iter(SHARED_BUILDS.values()))
    # The grouped files are the largest, so plain loadfile starts one on each worker.
    for count, file in enumerate(grouped, start=6):
        (tests / file).write_text(RECORDER.format(count=count))
    for other in ("test_a.py", "test_b.py", "test_c.py"):
        (tests / "integration" / other).write_text(RECORDER.format(count=1))
    records = tmp_path / "records"
    records.mkdir()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile", "tests"],
        cwd=project,
        env={"RECORD_DIR": str(records), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    workers = {}
    for record in records.iterdir():
        worker, nodeid = record.read_text().split(" ", 1)
        workers.setdefault(nodeid.split("::")[0], set()).add(worker)
    assert len(workers) == len(grouped) + 3
    grouped_workers = set().union(*(workers[f"tests/{file}"] for file in grouped))
    assert len(grouped_workers) == 1, workers
    assert set().union(*workers.values()) == {"gw0", "gw1"}  # the other files still spread over both
