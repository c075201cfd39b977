"""The instance's pooled SQLite event log stores and reads back what Dagster's own does."""

import sqlite3
from pathlib import Path

import dagster as dg
import pytest
import yaml

from orchestration.lib.event_log import PooledSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[2]


@dg.asset
def numbers() -> list[int]:
    return [1, 2, 3]


@dg.asset_check(asset=numbers)
def numbers_are_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"checked": 3})


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An instance configured with the repository's own dagster.yaml."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "orchestration" / "dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def _materialize(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return dg.materialize([numbers, numbers_are_positive], instance=instance)


def test_the_shipped_instance_uses_it_with_dagsters_layout(instance: dg.DagsterInstance, tmp_path: Path):
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    result = _materialize(instance)
    assert result.success
    # Where Dagster's default SQLite storage keeps them, so existing DAGSTER_HOMEs read the same.
    runs = tmp_path / "dagster_home" / "history" / "runs"
    assert (runs / "index.db").exists()
    assert (runs / f"{result.run_id}.db").exists()


def test_what_a_run_stores_reads_back(instance: dg.DagsterInstance):
    first, second = _materialize(instance), _materialize(instance)
    materialization = instance.get_latest_materialization_event(dg.AssetKey("numbers"))
    assert materialization is not None and materialization.run_id == second.run_id
    for result in (first, second):
        types = [entry.dagster_event_type for entry in instance.all_logs(result.run_id) if entry.is_dagster_event]
        assert types.count(dg.DagsterEventType.ASSET_MATERIALIZATION) == 1
        assert types.count(dg.DagsterEventType.ASSET_CHECK_EVALUATION) == 1
        assert types[-1] == dg.DagsterEventType.RUN_SUCCESS
    check = dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_are_positive")
    executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=10)
    assert [execution.run_id for execution in executions] == [second.run_id, first.run_id]


def test_it_keeps_only_a_few_databases_open(instance: dg.DagsterInstance):
    storage = instance.event_log_storage
    run_ids = [_materialize(instance).run_id for _ in range(6)]
    assert len(storage._engines) <= 4
    assert "index" in storage._engines
    # A run whose database was closed is read again, from disk.
    assert instance.get_run_by_id(run_ids[0]) is not None
    assert any(entry.is_dagster_event for entry in instance.all_logs(run_ids[0]))


def test_synchronous_level_and_journal(instance: dg.DagsterInstance, tmp_path: Path):
    storage = instance.event_log_storage
    run_id = _materialize(instance).run_id
    with storage.run_connection(run_id) as connection:
        assert connection.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL
    with sqlite3.connect(tmp_path / "dagster_home" / "history" / "runs" / f"{run_id}.db") as connection:
        assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_wipe_lets_go_of_the_run_databases(instance: dg.DagsterInstance, tmp_path: Path):
    run_id = _materialize(instance).run_id
    instance.event_log_storage.wipe()
    assert not (tmp_path / "dagster_home" / "history" / "runs" / f"{run_id}.db").exists()
    assert instance.get_latest_materialization_event(dg.AssetKey("numbers")) is None
    assert _materialize(instance).success  # and writes again afterwards


def test_an_instance_is_opened_where_dagster_home_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "orchestration" / "dagster.yaml").read_text())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(dg.DagsterInvalidConfigError, match="DAGSTER_HOME"):
        dg.DagsterInstance.from_config(str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert instance.event_log_storage._base_dir == str(home / "history" / "runs")


def test_config(tmp_path: Path):
    with pytest.raises(dg.DagsterInvalidConfigError, match="synchronous"):
        PooledSqliteEventLogStorage(str(tmp_path), synchronous="SOMETIMES")
    storage = PooledSqliteEventLogStorage(str(tmp_path), synchronous="full")
    with storage.index_connection() as connection:
        assert connection.exec_driver_sql("pragma synchronous").scalar() == 2  # FULL
    storage.dispose()
    config = yaml.safe_load((REPO / "orchestration" / "dagster.yaml").read_text())["event_log_storage"]
    assert (config["module"], config["class"]) == ("orchestration.lib.event_log", "PooledSqliteEventLogStorage")
