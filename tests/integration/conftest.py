"""The whole pipeline, built once per test session on a freshly generated landing zone.

``built`` runs ``python -m orchestration.cli run`` in a subprocess (exactly what
``make run`` does) with ROI_LANDING_DIR, ROI_WAREHOUSE and DAGSTER_HOME in a
temporary folder, from a landing zone generated with a different seed than the
shipped sample, so nothing passes by knowing the sample. Tests read the
warehouse read-only and compare it with the generator's planted truth
(``<landing>/_truth``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
SEED = 11
TOUCHPOINTS = 20_000


@dataclass(frozen=True)
class Pipeline:
    """A landing zone, the warehouse built from it, and how to run the build again."""

    root: Path
    landing: Path
    warehouse: Path
    env: dict[str, str]
    first_run: subprocess.CompletedProcess[str]

    @property
    def truth(self) -> Path:
        return self.landing / "_truth"

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *arguments)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse), read_only=True)

    def copy_to(self, root: Path) -> Pipeline:
        """A copy of this build (warehouse, snapshot, exports, Dagster instance and landing zone) under ``root``.

        Cheaper than a build (a copy of files): for tests that change a warehouse or its landing zone and
        rebuild. The copy's landing files keep their names, sizes and mtimes, so its first plain run has
        nothing to do until the test changes something.
        """
        shutil.copytree(self.root, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.run.lock"))
        landing = root / self.landing.relative_to(self.root)
        env = pipeline_env(root, landing)
        return Pipeline(root=root, landing=landing, warehouse=root / "roi.duckdb", env=env, first_run=self.first_run)


def generate_landing(out: Path, *, seed: int = SEED, touchpoints: int = TOUCHPOINTS) -> None:
    subprocess.run(
        [
            sys.executable,
            "seeds/generate.py",
            "--out",
            str(out),
            "--seed",
            str(seed),
            "--touchpoints",
            str(touchpoints),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
    )


def pipeline_env(root: Path, landing: Path) -> dict[str, str]:
    dagster_home = root / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "orchestration" / "dagster.yaml", dagster_home / "dagster.yaml")
    return {
        **os.environ,
        "ROI_LANDING_DIR": str(landing),
        "ROI_WAREHOUSE": str(root / "roi.duckdb"),
        "DAGSTER_HOME": str(dagster_home),
        "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "False",
        # The marketing-mix fit takes minutes: the default builds leave it out (its tables stay empty);
        # tests/integration/test_incrementality.py builds with it (slow).
        "ROI_MMM_ENABLED": "0",
    }


@contextmanager
def open_instance(dagster_home: str | Path) -> Iterator[dg.DagsterInstance]:
    """The Dagster instance of a pipeline's DAGSTER_HOME, as the pipeline's processes opened it.

    The shipped dagster.yaml takes the instance's folder from DAGSTER_HOME (orchestration/lib/event_log.py).
    """
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        instance = dg.DagsterInstance.get()
    finally:
        if previous is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = previous
    with instance:
        yield instance


def cli_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", *(arguments or ("run", "--log-level", "WARNING"))]


def run_cli(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in its own session, so a crash test can kill its whole process group."""
    return subprocess.run(
        cli_command(*arguments),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )


def mart_rows(warehouse: Path) -> dict[str, list[tuple]]:
    """Every row of every mart, sorted: what a reader of the marts sees."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        return {
            table: connection.execute(f'select * from marts."{table}" order by all').fetchall() for (table,) in tables
        }


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    root = tmp_path_factory.mktemp("pipeline")
    landing = root / "landing"
    generate_landing(landing)
    env = pipeline_env(root, landing)
    first = run_cli(env)
    pipeline = Pipeline(root=root, landing=landing, warehouse=root / "roi.duckdb", env=env, first_run=first)
    assert first.returncode == 0, f"the build failed:\n{first.stdout[-8000:]}\n{first.stderr[-8000:]}"
    yield pipeline


def build_with_the_model_fitted(root: Path, landing: Path) -> Pipeline:
    """Build ``landing`` into ``root`` with the marketing-mix model fitted (minutes: slow tests only)."""
    env = {**pipeline_env(root, landing), "ROI_MMM_ENABLED": "1"}
    first = run_cli(env)
    assert first.returncode == 0, f"the build failed:\n{first.stdout[-8000:]}\n{first.stderr[-8000:]}"
    return Pipeline(root=root, landing=landing, warehouse=root / "roi.duckdb", env=env, first_run=first)


@pytest.fixture(scope="session")
def fitted_seed11(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """A fresh landing zone (seed 11, not the shipped sample's) built with the model fitted.

    One fit for the session: the MMM tests and the budget-scenario tests read the same build.
    """
    root = tmp_path_factory.mktemp("fitted_seed11")
    generate_landing(root / "landing")
    return build_with_the_model_fitted(root, root / "landing")


@pytest.fixture(scope="session")
def fitted_sample(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The shipped sample (``seeds/sample``, what ``make run`` builds) with the model fitted."""
    root = tmp_path_factory.mktemp("fitted_sample")
    shutil.copytree(REPO / "seeds" / "sample", root / "landing")
    return build_with_the_model_fitted(root, root / "landing")


@pytest.fixture
def db(built: Pipeline) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = built.connect()
    try:
        yield connection
    finally:
        connection.close()
