"""Benchmark: real-time budget tracking (a spend file lands -> pacing in the snapshot) and spend-only runs.

On a copy of the shipped sample (``seeds/sample``) in a temporary folder:

1. builds it from scratch (not timed; the marketing-mix fit off, ``ROI_MMM_ENABLED=0``, as the tests build,
   unless ``--mmm``), then times a full build over the same files (``run --force``) and a spend-only run
   after one new day of Google Ads spend (``run``), each the run's own seconds (``--timings``) and wall;
2. starts the Dagster daemon on that copy (the landing sensor, RUNNING by default), drops one more day of
   spend into the landing zone (written under an ignored name, then renamed: the file's arrival), and polls
   the published snapshot read-only until ``marts.fct_budget_pacing`` has the new day; prints the seconds
   from the file's arrival to that row, with the sensor's pick-up, the run's start and its length from the
   Dagster instance. Target: at most 30 s. Exits 1 when it is missed.

    .venv/bin/python bench/bench_realtime.py            # make's environment (see the Makefile)
    .venv/bin/python bench/bench_realtime.py --keep     # keep the folder (printed)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from seeds._spend import land_google_ads_day, next_google_ads_day  # noqa: E402

PYTHON = sys.executable
TARGET_REALTIME_SECONDS = 30.0


def environment(root: Path, landing: Path, *, mmm: bool) -> dict[str, str]:
    dagster_home = root / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {
        **os.environ,
        "ROI_LANDING_DIR": str(landing),
        "ROI_WAREHOUSE": str(root / "roi.duckdb"),
        "DAGSTER_HOME": str(dagster_home),
        "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "GX_ANALYTICS_ENABLED": "False",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if not mmm:
        env["ROI_MMM_ENABLED"] = "0"
    return env


def cli_run(env: dict[str, str], timings: Path, *arguments: str) -> tuple[dict, float, str]:
    """Run ``python -m orchestration.cli run`` and return its --timings record, its wall seconds and output."""
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "orchestration.cli", "run", "--log-level", "WARNING", "--timings", str(timings), *arguments],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(
            f"the build failed ({' '.join(arguments) or 'run'}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return json.loads(timings.read_text()), wall, result.stdout


def land(landing: Path, frame: pd.DataFrame, day: str) -> float:
    """Land the day's file; the time it arrived."""
    land_google_ads_day(landing, frame, day)
    return time.time()


def pacing_has(snapshot: Path, day: str) -> bool:
    if not snapshot.exists():
        return False
    try:
        with duckdb.connect(str(snapshot), read_only=True) as connection:
            return bool(
                connection.execute(
                    "select count(*) from marts.fct_budget_pacing where as_of_date = cast(? as date)", [day]
                ).fetchall()[0][0]
            )
    except duckdb.Error:  # replaced while we opened it: the next poll reads the new one
        return False


def wait_for_sensor(log: Path, timeout: float) -> None:
    """Until the daemon has evaluated the landing sensor once (it adopts the recorded build on that tick)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text(errors="replace").count("landing_zone_sensor") >= 2:
            return
        time.sleep(0.5)
    sys.exit(f"the daemon did not evaluate the landing sensor within {timeout:.0f} s; see {log}")


def runs_after(dagster_home: Path, since: float) -> list[tuple[str, str, float, float | None, float | None]]:
    """(job, status, created, started, ended) of the runs created after ``since`` (epoch seconds), oldest first."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.get_run_records(
            filters=dg.RunsFilter(created_after=dt.datetime.fromtimestamp(since, dt.UTC))
        )
        rows = [
            (
                record.dagster_run.job_name,
                record.dagster_run.status.value,
                record.create_timestamp.timestamp(),
                record.start_time,
                record.end_time,
            )
            for record in records
        ]
    return sorted(rows, key=lambda row: row[2])


def realtime(root: Path, landing: Path, env: dict[str, str], timeout: float) -> float:
    log = root / "daemon.log"
    daemon = subprocess.Popen(
        [str(Path(PYTHON).parent / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")],
        cwd=REPO,
        env={**env, "PATH": f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_sensor(log, timeout)
        frame, day = next_google_ads_day(landing)
        arrived = land(landing, frame, day)
        snapshot = root / "roi_snapshot.duckdb"
        while not pacing_has(snapshot, day):
            if time.time() - arrived > timeout:
                sys.exit(f"no pacing row for {day} in the snapshot {timeout:.0f} s after the file landed; see {log}")
            time.sleep(0.25)
        seconds = time.time() - arrived
        target = f"target <= {TARGET_REALTIME_SECONDS:.0f} s"
        print(f"spend file landed -> pacing for {day} in the snapshot: {seconds:.1f} s ({target})")
        time.sleep(1.0)  # the refresh run records its end after the snapshot
        for job, status, created, started, ended in runs_after(root / "dagster_home", arrived - 1):
            line = f"  {job:<22} {status:<8} created +{created - arrived:5.1f} s"
            if started is not None:
                line += f", started +{started - arrived:5.1f} s"
            if started is not None and ended is not None:
                line += f", ran {ended - started:5.1f} s"
            print(line)
        return seconds
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)  # the daemon we started, and its run workers
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, default=REPO / "seeds" / "sample")
    parser.add_argument("--mmm", action="store_true", help="build with the marketing-mix fit (minutes)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the daemon and the row")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    arguments = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="roi_realtime_"))
    try:
        landing = root / "landing"
        shutil.copytree(arguments.landing, landing)
        env = environment(root, landing, mmm=arguments.mmm)
        print(f"sample {arguments.landing} -> {root}")
        cli_run(env, root / "first.json")
        full, full_wall, _ = cli_run(env, root / "full.json", "--force")
        frame, day = next_google_ads_day(landing)
        land(landing, frame, day)
        spend, spend_wall, output = cli_run(env, root / "spend.json")
        mode = next((line for line in output.splitlines() if line.startswith("Mode    ")), "Mode    ?")
        print(f"full build (run --force):   {full['run_seconds']:6.1f} s in the run, {full_wall:6.1f} s wall")
        print(f"spend-only run (+1 day):    {spend['run_seconds']:6.1f} s in the run, {spend_wall:6.1f} s wall")
        print(f"  {mode.strip()}")
        for line in output.splitlines():
            if line.startswith(("Stage 1", "Stage 2")):
                print(f"  {line[:160]}")
        seconds = realtime(root, landing, env, arguments.timeout)
        return 0 if seconds <= TARGET_REALTIME_SECONDS else 1
    finally:
        if arguments.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
