"""Resources, configured once from the environment (see ``lib/settings.py``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib import settings
from orchestration.lib.warehouse import connect, ensure_audit_schema


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file and the landing zone it is built from."""

    path: str
    landing_dir: str
    reporting_currency: str

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
