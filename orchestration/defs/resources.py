"""Resources, configured once from the environment (see ``lib/settings.py``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from orchestration.lib import settings
from orchestration.lib.warehouse import connect, ensure_audit_schema, warehouse_lock


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file and the landing zone it is built from.

    A run holds an exclusive lock on the warehouse from its first step to its
    last (``warehouse_lock``): DuckDB admits one writing process, and a second
    run, whether started from the CLI, the UI, a schedule or a sensor, waits
    for the first instead of failing half-way on DuckDB's file lock.
    """

    path: str
    landing_dir: str
    reporting_currency: str
    _lock: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.run is None:  # a sensor or schedule evaluation reads briefly; only runs take the lock
            return
        stack = ExitStack()
        lock_path = Path(self.path).with_name(Path(self.path).name + ".run.lock")
        if context.log is not None:
            context.log.debug(f"waiting for the warehouse lock {lock_path}")
        stack.enter_context(warehouse_lock(Path(self.path)))
        self._lock = stack

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(Path(self.path), read_only=read_only) as connection:
            if not read_only:
                ensure_audit_schema(connection)
            yield connection


def warehouse_from_env() -> Warehouse:
    """The warehouse named by ``ROI_WAREHOUSE``/``ROI_LANDING_DIR``/``ROI_REPORTING_CURRENCY``.

    ``ROI_WAREHOUSE`` is written back as an absolute path, so the dbt
    subprocess (whose profile reads it) opens the very same file whatever its
    working directory.
    """
    path = settings.warehouse_path()
    os.environ["ROI_WAREHOUSE"] = str(path)
    return Warehouse(
        path=str(path),
        landing_dir=str(settings.landing_dir()),
        reporting_currency=settings.reporting_currency(),
    )
