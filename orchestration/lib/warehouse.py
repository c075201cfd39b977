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
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import duckdb

from orchestration.lib.sql import quote_identifier

if TYPE_CHECKING:
    import pandas as pd

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
        loaded_at timestamp not null,
        rows_held bigint not null default 0
    )
    """,
    # Warehouses created before rows_held existed get the column (0 for their files).
    "alter table audit.load_files add column if not exists rows_held bigint default 0",
    # A path outside the source folders whose source cannot be guessed is recorded without one
    # (lib/landing.py; status 'unrecognised' or 'rejected').
    "alter table audit.load_files alter column source drop not null",
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


def replace_table(
    connection: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    columns: Sequence[tuple[str, str]],
    frame: pd.DataFrame,
) -> None:
    """Replace ``schema.table`` with ``frame``'s ``columns`` (name, DuckDB type) in one transaction.

    For tables Python assets write and dbt reads as sources: a reader sees the old rows or the new ones,
    never an empty or half-written table.
    """
    replace_tables(connection, [(schema, table, columns, frame)])


def replace_tables(
    connection: duckdb.DuckDBPyConnection,
    replacements: Sequence[tuple[str, str, Sequence[tuple[str, str]], pd.DataFrame]],
) -> None:
    """:func:`replace_table` for several ``(schema, table, columns, frame)`` in one transaction.

    For tables that are only right together (a model fit's draws, curves and diagnostics): a reader sees
    all the old ones or all the new ones.
    """
    connection.execute("begin")
    try:
        for schema, table, columns, frame in replacements:
            relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
            definition = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in columns)
            names = ", ".join(quote_identifier(name) for name, _ in columns)
            connection.execute(f"create schema if not exists {quote_identifier(schema)}")
            connection.execute(f"create or replace table {relation} ({definition})")
            if not frame.empty:
                connection.register("incoming_rows", frame)
                connection.execute(f"insert into {relation} select {names} from incoming_rows")  # noqa: S608 - quoted names
                connection.unregister("incoming_rows")
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise


def content_digest(connection: duckdb.DuckDBPyConnection, relation: str) -> str:
    """A digest of a relation's rows, whatever their order: ``"<rows>:<sum of the rows' hashes>"``.

    ``relation`` is a quoted ``schema.table``. The sum is a HUGEINT (no overflow, duplicates counted): equal
    digests mean equal contents, but for a hash collision. One scan: at 10M rows about a second on two
    cores, where a copy of the table costs several.
    """
    count, total = connection.execute(
        f"select count(*), coalesce(sum(hash(rows)::hugeint), 0) from {relation} as rows"  # noqa: S608
    ).fetchall()[0]
    return f"{count}:{total}"


def ensure_audit_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ``raw`` and ``audit`` schemas and the audit tables if missing."""
    for statement in AUDIT_DDL:
        connection.execute(statement)
    # The marketing-mix model's tables too (empty until a fit): dbt's incrementality views read them.
    from orchestration.lib.incrementality.tables import ensure_tables

    ensure_tables(connection)


_held_locks: dict[Path, tuple[int, TextIO]] = {}
_held_locks_guard = threading.Lock()


class WarehouseBusyError(RuntimeError):
    """Another run holds the warehouse (or another process has the file open): try again later."""


@contextmanager
def warehouse_lock(path: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock next to the warehouse file, across processes.

    A run holds it from its first step to its last (see ``Warehouse`` in
    ``defs/resources.py``), and the CLI from the start of a run to the end of
    its summary; a second run started meanwhile waits here instead of failing
    on DuckDB's own file lock half-way through. Re-entrant within a process.
    ``timeout`` (seconds) gives up with ``WarehouseBusyError`` instead of
    waiting for ever: for readers such as the alert sensor that must never
    hold a build up.
    """
    lock_path = path.with_name(path.name + ".run.lock").resolve()
    with _held_locks_guard:
        held = _held_locks.get(lock_path)
        if held is not None:
            _held_locks[lock_path] = (held[0] + 1, held[1])
    if held is None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - closed when the outermost holder releases
        try:
            _acquire(handle, timeout)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        with _held_locks_guard:
            _held_locks[lock_path] = (1, handle)
    try:
        yield
    finally:
        with _held_locks_guard:
            count, handle = _held_locks[lock_path]
            if count > 1:
                _held_locks[lock_path] = (count - 1, handle)
            else:
                del _held_locks[lock_path]
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()


def _acquire(handle: TextIO, timeout: float | None) -> None:
    if timeout is None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(f"a build holds the warehouse ({handle.name})") from None
            time.sleep(0.2)
