"""Dagster's SQLite event log, with its connections kept open between events.

The stock ``SqliteEventLogStorage`` creates an engine, opens a connection and
disposes of both for every event it stores, and commits each with a full
fsync. A build of this warehouse stores ~800 events (every dbt test and GX
suite is an asset check, planned and then evaluated, and asset events are
written twice: to the run's database and to the index), so at 1M touchpoints
that bookkeeping took ~6 s of a ~42 s build (``make bench``).

This subclass keeps one engine per database (the index and the few most
recent runs) and sets SQLite's ``synchronous`` level on each connection.
Everything else — schema, WAL journal, per-run sharding, the UI's watchers —
is Dagster's own. ``synchronous = NORMAL`` (the default here) is the level
SQLite recommends with a WAL journal: a crash of the process loses nothing;
a power cut may lose the last events of a run, never corrupts the database.
Set ``synchronous: FULL`` in ``dagster.yaml`` for Dagster's stock durability.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def run_databases_dir(dagster_home: str) -> str:
    """Where Dagster's default SQLite instance keeps run event logs: ``<DAGSTER_HOME>/history/runs``."""
    return os.path.join(dagster_home, "history", "runs")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with pooled connections and a configurable ``synchronous`` level.

    Configure it in ``dagster.yaml``::

        event_log_storage:
          module: orchestration.lib.event_log
          class: PooledSqliteEventLogStorage
          config:
            dagster_home: {env: DAGSTER_HOME}   # databases in <dagster_home>/history/runs, Dagster's layout
            synchronous: NORMAL                 # optional; FULL for Dagster's stock durability
            open_databases: 4                   # optional; engines kept: the index + recent runs

    Like Dagster's own ``storage: sqlite: base_dir: {env: DAGSTER_HOME}``, the
    folder comes from the environment: open such an instance with
    ``DAGSTER_HOME`` set to its folder (``DagsterInstance.get()``).
    """

    def __init__(
        self,
        dagster_home: str,
        inst_data: ConfigurableClassData | None = None,
        synchronous: str = "NORMAL",
        open_databases: int = 4,
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS_LEVELS:
            raise dg.DagsterInvalidConfigError(
                f"synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}, not {synchronous!r}", [], None
            )
        self._synchronous = synchronous.upper()
        self._open_databases = max(2, open_databases)
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(run_databases_dir(dagster_home), inst_data)

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return {
            "dagster_home": dg.Field(dg.StringSource),
            "synchronous": dg.Field(str, is_required=False, default_value="NORMAL"),
            "open_databases": dg.Field(int, is_required=False, default_value=4),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, created on first use; the least recently used beyond the limit is closed."""
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        # One connection per database suffices: the storage's lock lets one thread in at a time.
        engine = create_engine(
            self.conn_string_for_shard(shard),
            pool_size=1,
            max_overflow=2,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        level = self._synchronous

        @event.listens_for(engine, "connect")
        def _set_synchronous(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"pragma synchronous = {level}")  # one of SYNCHRONOUS_LEVELS

        self._engines[shard] = engine
        while len(self._engines) > self._open_databases:
            _, evicted = self._engines.popitem(last=False)
            evicted.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # the run databases are deleted: let go of them first
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
