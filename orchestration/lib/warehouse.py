"""Opening the DuckDB warehouse, and the audit tables every load writes to.

DuckDB lets one process write a file at a time. Every writer in this project
opens the warehouse through ``connect`` for as short as it needs it and closes
it again, so the ingestion assets, dbt and the checks can take turns inside one
run. Runs themselves are serialised by ``warehouse_lock`` (see ``cli.py``) and
by the Dagster run queue.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

AUDIT_DDL: tuple[str, ...] = (
    "create schema if not exists raw",
    "create schema if not exists audit",
    """
    create table if not exists audit.load_files (
        load_id varchar not null,
        source varchar not null,
        file_name varchar not null,
        file_hash varchar not null,
        file_size_bytes bigint not null,
        file_modified_at timestamp not null,
        status varchar not null,
        rows_read bigint not null,
        rows_loaded bigint not null,
        rows_rejected bigint not null,
        message varchar,
        loaded_at timestamp not null
    )
    """,
    """
    create table if not exists audit.rejected_rows (
        load_id varchar not null,
        source varchar not null,
        file_name varchar not null,
        file_hash varchar not null,
        line_number bigint,
        column_name varchar,
        reason_code varchar not null,
        reason varchar not null,
        raw_content varchar,
        rejected_at timestamp not null
    )
    """,
    """
    create table if not exists audit.dq_results (
        run_id varchar,
        check_name varchar not null,
        asset_key varchar not null,
        passed boolean not null,
        severity varchar not null,
        measured_value double,
        threshold double,
        details varchar,
        evaluated_at timestamp not null
    )
    """,
)


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC, closed on exit. Creates the file's folder when writing."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path), read_only=read_only)
    try:
        connection.execute("set TimeZone = 'UTC'")
        yield connection
    finally:
        connection.close()


def ensure_audit_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` and ``audit`` schemas and the audit tables if missing."""
    for statement in AUDIT_DDL:
        connection.execute(statement)


@contextmanager
def warehouse_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock next to the warehouse file for a whole run.

    A second run started meanwhile waits here instead of failing on DuckDB's
    own file lock half-way through.
    """
    lock_path = path.with_name(path.name + ".run.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
