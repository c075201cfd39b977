"""Crash and rerun safety, serialised runs, and readers during a run (issue: reliability).

Every test here works on its own small warehouse from one small generated
landing zone; the reference is an uninterrupted build of the same files, built
once and copied by the tests that start from a finished build.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from orchestration.lib import snapshot
from tests.integration.conftest import (
    REPO,
    Pipeline,
    cli_command,
    generate_landing,
    mart_rows,
    pipeline_env,
    run_cli,
)

SMALL = 3_000


@pytest.fixture(scope="module")
def small_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("small") / "landing"
    generate_landing(landing, seed=5, touchpoints=SMALL)
    return landing


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory: pytest.TempPathFactory, small_landing: Path) -> Pipeline:
    root = tmp_path_factory.mktemp("reference")
    landing = root / "landing"
    shutil.copytree(small_landing, landing)
    env = pipeline_env(root, landing)
    result = run_cli(env)
    assert result.returncode == 0, result.stdout[-4000:]
    return Pipeline(root=root, landing=landing, warehouse=root / "roi.duckdb", env=env, first_run=result)


@pytest.fixture(scope="module")
def reference(reference_build: Pipeline) -> dict[str, list[tuple]]:
    return mart_rows(reference_build.warehouse)


def _count(warehouse: Path, sql: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()[0][0]


# Over 100 s of builds of its own (make test must stay under 12 minutes): .ci/run runs it in make test-slow.
@pytest.mark.slow
def test_runs_killed_during_ingestion_and_during_the_dbt_build_leave_nothing_partial_and_the_rerun_matches(
    tmp_path: Path, small_landing: Path, reference: dict[str, list[tuple]]
):
    env = pipeline_env(tmp_path, small_landing)
    killed = run_cli({**env, "ROI_FAILPOINTS": "ingest:before_commit:touchpoints"})
    assert killed.returncode == -signal.SIGKILL
    warehouse = tmp_path / "roi.duckdb"
    # Sources loaded before the kill are committed; the one being committed left nothing behind.
    assert _count(warehouse, "select count(*) from audit.load_files where source = 'google_ads'") > 0
    assert _count(warehouse, "select count(*) from audit.load_files where source = 'touchpoints'") == 0
    assert _count(warehouse, "select count(*) from raw.touchpoints") == 0
    assert _count(warehouse, "select count(*) from audit.rejected_rows where source = 'touchpoints'") == 0

    # The next run loads the rest and is killed in turn, once dbt has built its first model.
    killed_in_dbt = run_cli({**env, "ROI_FAILPOINTS": "dbt:after_first_model"})
    assert killed_in_dbt.returncode == -signal.SIGKILL
    assert _count(warehouse, "select count(*) from audit.load_files where source = 'touchpoints'") > 0

    rerun = run_cli(env)
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    assert "Build summary" in rerun.stdout, "a killed run is never taken for a finished one"
    assert "0 new file(s)" in rerun.stdout, "the files committed before the kills are not loaded again"
    assert mart_rows(warehouse) == reference
    loaded_twice = _count(
        warehouse,
        "select count(*) from (select source, file_hash from audit.load_files group by all having count(*) > 1)",
    )
    assert loaded_twice == 0


def test_two_runs_started_at_once_are_serialised(tmp_path: Path, small_landing: Path):
    env = pipeline_env(tmp_path, small_landing)
    # Each run writes to its own file: a pipe read only after the other run ends would fill up and stall the
    # run that holds the lock (the other one waiting for it), so neither would ever finish.
    logs = [tmp_path / f"run_{index}.log" for index in range(2)]
    runs = []
    for log in logs:
        with log.open("w") as output:
            runs.append(
                subprocess.Popen(cli_command(), cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
            )
    for run in runs:
        run.wait(timeout=600)
    outputs = [log.read_text() for log in logs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    new_files = sorted(int(output.split(" new file(s)")[0].rsplit("Files", 1)[1]) for output in outputs)
    assert new_files[0] == 0 and new_files[1] > 0, "one run loaded the files, the other found nothing new"
    warehouse = tmp_path / "roi.duckdb"
    assert (
        _count(
            warehouse, "select count(*) from (select file_hash from audit.load_files group by 1 having count(*) > 1)"
        )
        == 0
    )


def test_readers_of_the_snapshot_are_never_blocked_and_never_see_a_half_built_state(
    tmp_path: Path, reference_build: Pipeline
):
    copy = reference_build.copy_to(tmp_path)
    landing, env, warehouse = copy.landing, copy.env, copy.warehouse
    # No pool: like a BI tool that reconnects per query. (A pooled connection keeps reading the snapshot it
    # opened, whole and consistent, until it is recycled.)
    engine = sa.create_engine(snapshot.sqlalchemy_url(warehouse), poolclass=sa.pool.NullPool)
    totals_sql = sa.text("select count(*), round(sum(spend_rc), 2) from marts.fct_marketing_spend_daily")

    def read() -> tuple:
        with engine.connect() as connection:
            return tuple(connection.execute(totals_sql).fetchall()[0])

    before = read()
    # New spend arrives: a restatement of one month.
    _restate_other_spend(landing, "2025-04")

    seen: list[tuple] = []
    errors: list[BaseException] = []
    run = subprocess.Popen(
        cli_command(),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def keep_reading() -> None:
        while run.poll() is None:
            try:
                seen.append(read())
            except BaseException as error:
                errors.append(error)
            time.sleep(0.05)

    reader = threading.Thread(target=keep_reading)
    reader.start()
    output, _ = run.communicate(timeout=600)
    reader.join()
    assert run.returncode == 0, output[-4000:]
    after = read()
    assert errors == []
    assert len(seen) > 10, "the reader kept reading while the build ran"
    assert after != before
    assert set(seen) <= {before, after}, "a reader saw something other than a whole snapshot"


def _monthly_spend(warehouse: Path) -> dict[str, float]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select strftime(spend_date, '%Y-%m'), round(sum(spend_rc), 2) from marts.fct_marketing_spend_daily "
            "group by 1"
        ).fetchall()
    return {month: float(total) for month, total in rows}


def _restate_other_spend(landing: Path, month: str) -> None:
    """Drop a restatement of one month of other_spend with every amount 0.5 % higher.

    (Small enough to stay within the invoice tolerance, so the run's own targets still pass.)
    """
    folder = landing / "marketing" / "other_spend"
    original = folder / f"other_spend_{month}.csv"
    rows = original.read_text().splitlines()
    spend = rows[0].split(",").index("spend")
    restated = [rows[0]] + [
        ",".join(f"{float(value) * 1.005:.2f}" if i == spend else value for i, value in enumerate(row.split(",")))
        for row in rows[1:]
    ]
    (folder / f"other_spend_{month}_zz_restated.csv").write_text("\n".join(restated) + "\n")


# Over 100 s of builds of its own (make test must stay under 12 minutes): .ci/run runs it in make test-slow.
@pytest.mark.slow
def test_restatements_of_closed_months_are_held_until_the_month_is_reopened(tmp_path: Path, reference_build: Pipeline):
    # Closing months changes nothing until a restatement arrives: start from the reference build.
    copy = reference_build.copy_to(tmp_path)
    landing, env, warehouse = copy.landing, copy.env, copy.warehouse
    closed = tmp_path / "closed.yml"
    closed.write_text("periods:\n  finance_closed_through: '2025-06'\n")
    reopened = tmp_path / "reopened.yml"
    reopened.write_text("periods:\n  finance_closed_through: null\n")

    before = _monthly_spend(warehouse)
    _restate_other_spend(landing, "2025-03")  # closed
    _restate_other_spend(landing, "2025-09")  # open
    held_run = run_cli({**env, "ROI_CONFIG": str(closed)})
    assert held_run.returncode == 0, held_run.stdout[-4000:]
    during = _monthly_spend(warehouse)
    assert during["2025-03"] == before["2025-03"], "a closed month's reported spend does not move"
    assert during["2025-09"] > before["2025-09"], "an open month takes the restatement"
    assert "no_held_restatements" in held_run.stdout, "the held rows are flagged in the run summary"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        held = connection.execute(
            "select count(*), min(period), max(period) from audit.held_restatements where status = 'held'"
        ).fetchall()[0]
        flagged = connection.execute(
            "select count(*) from audit.dq_results where check_name = 'no_held_restatements' and not passed"
        ).fetchall()[0][0]
    assert held[0] > 0 and held[1] == held[2] == "2025-03"
    assert flagged >= 1

    released_run = run_cli({**env, "ROI_CONFIG": str(reopened)})
    assert released_run.returncode == 0, released_run.stdout[-4000:]
    after = _monthly_spend(warehouse)
    assert after["2025-03"] > before["2025-03"], "reopened: the held restatement now applies"
    assert after["2025-09"] == during["2025-09"]
