"""Alert evaluation takes the warehouse's run lock without waiting for a build, and re-enters its own process's."""

import fcntl
import threading
import time
from pathlib import Path

import pytest

from orchestration.lib.alerting.engine import WarehouseBusyError, evaluate_and_deliver, run_lock
from orchestration.lib.warehouse import warehouse_lock


def test_a_lock_held_elsewhere_makes_the_warehouse_busy(tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    with open(tmp_path / "roi.duckdb.run.lock", "a+") as other:  # another holder, as a build would be
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        with pytest.raises(WarehouseBusyError), run_lock(warehouse):
            pass
    with run_lock(warehouse):  # released: taken at once
        pass


def test_it_waits_when_asked_to(tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    other = open(tmp_path / "roi.duckdb.run.lock", "a+")  # noqa: SIM115 - closed by the timer
    fcntl.flock(other.fileno(), fcntl.LOCK_EX)
    threading.Timer(0.3, other.close).start()  # closing the file releases its lock
    started = time.monotonic()
    with run_lock(warehouse, wait_seconds=5):
        assert 0.2 < time.monotonic() - started < 5


def test_the_process_that_holds_the_run_lock_can_evaluate_alerts(tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    with warehouse_lock(warehouse), run_lock(warehouse):  # the CLI after its run, still holding the lock
        pass


def test_no_warehouse_yet_is_reported_not_crashed_on(tmp_path: Path):
    with pytest.raises(WarehouseBusyError, match="no warehouse"):
        evaluate_and_deliver(tmp_path / "missing.duckdb", environ={})
