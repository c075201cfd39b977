"""Closed months: platform restatements that would change them are held, not applied.

Once finance closes a month (config ``periods.finance_closed_through``), the
spend reported for it must not move under finance's feet. When a new file
carries a row of a closed month that would change what staging serves — a
restated value (a later file, different figures) or a late row for a month
that already has data — the row goes to ``audit.held_<source>`` instead of
``raw.<source>``, and ``audit.held_restatements`` lists it for the check and
the alert. Reported figures stay as they were. When the month is reopened
(the setting moves back), the next load releases the held rows into raw, in
their original files' order, and marks them released.

A month with no data yet is not "restated": the first load of history into a
fresh warehouse goes straight to raw whatever the setting says.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from orchestration.lib.sources import LINEAGE_COLUMNS, SOURCES, SourceSpec
from orchestration.lib.sql import quote_identifier

HOLD_COLUMNS = (
    ("_period", "VARCHAR"),
    ("_status", "VARCHAR"),  # held | released
    ("_held_at", "TIMESTAMP"),
    ("_released_at", "TIMESTAMP"),
)
HELD = "held"
RELEASED = "released"


def hold_table(spec: SourceSpec) -> str:
    return f"audit.{quote_identifier('held_' + spec.table)}"


def ensure_hold_table(connection: duckdb.DuckDBPyConnection, spec: SourceSpec) -> None:
    columns = [f"{quote_identifier(column.name)} {column.duckdb_type}" for column in spec.columns]
    columns += [f"{name} {sql_type}" for name, sql_type in (*LINEAGE_COLUMNS, *HOLD_COLUMNS)]
    connection.execute(f"create table if not exists {hold_table(spec)} ({', '.join(columns)})")


def refresh_held_restatements_view(connection: duckdb.DuckDBPyConnection) -> None:
    """``audit.held_restatements``: every held or released row of every spend source, one shape."""
    parts = []
    for spec in SOURCES:
        if spec.closing_column is None:
            continue
        ensure_hold_table(connection, spec)
        keys = ", ".join(
            f"'{column.header}', cast({quote_identifier(column.name)} as varchar)" for column in spec.key_columns
        )
        parts.append(
            f"select '{spec.name}' as source, _source_file as file_name, _line_number as line_number, "
            f"_period as period, to_json(json_object({keys})) as natural_key, _status as status, "
            f"_held_at as held_at, _released_at as released_at, _load_id as load_id from {hold_table(spec)}"
        )
    connection.execute(f"create or replace view audit.held_restatements as {' union all '.join(parts)}")


def _period(spec: SourceSpec, relation: str) -> str:
    column = spec.closing_column
    assert column is not None
    return f"strftime({relation}.{quote_identifier(column.name)}, '%Y-%m')"


def select_rows_to_hold(connection: duckdb.DuckDBPyConnection, spec: SourceSpec, closed_through: str) -> int:
    """Fill ``_held`` with the ``(_file_index, _record_no)`` of batch rows that must be held.

    Expects the loader's temp tables ``_validated``, ``_superseded`` and
    ``_batch_files``. A row of a closed month is held when the month already
    has data in raw and the row would change what staging serves for its key:
    there is no version yet (a late row), or its file sorts after the served
    version's file and some value differs.
    """
    table = f"raw.{quote_identifier(spec.table)}"
    keys = [quote_identifier(column.name) for column in spec.key_columns]
    values = [quote_identifier(column.name) for column in spec.columns if column.header not in spec.natural_key]
    differs = " or ".join(f"candidate.{value} is distinct from served.{value}" for value in values) or "false"
    connection.execute(
        f"""
        create or replace temp table _held as
        with candidates as (
            select _validated.*, _batch_files.name as _file_name, _batch_files.modified_at as _file_modified_at
            from _validated
            join _batch_files using (_file_index)
            where _validated._reason_code is null
                and (_file_index, _record_no) not in (select (_file_index, _record_no) from _superseded)
                and {_period(spec, "_validated")} <= ?
        ),
        months_with_data as (
            select distinct {_period(spec, "raw_rows")} as period from {table} as raw_rows
            where {_period(spec, "raw_rows")} <= ?
        ),
        served as (
            select * from (
                select raw_rows.*, row_number() over (
                    partition by {", ".join(keys)}
                    order by _source_file desc, _file_modified_at desc, _line_number desc
                ) as _version_rank
                from {table} as raw_rows
                where {_period(spec, "raw_rows")} <= ?
            ) where _version_rank = 1
        )
        select candidate._file_index, candidate._record_no, {_period(spec, "candidate")} as _period
        from candidates as candidate
        left join served using ({", ".join(keys)})
        where {_period(spec, "candidate")} in (select period from months_with_data)
            and (
                served._source_file is null
                or (
                    (candidate._file_name, candidate._file_modified_at)
                        > (served._source_file, served._file_modified_at)
                    and ({differs})
                )
            )
        """,
        [closed_through, closed_through, closed_through],
    )
    return connection.execute("select count(*) from _held").fetchall()[0][0]


def insert_held_rows(connection: duckdb.DuckDBPyConnection, spec: SourceSpec, load_id: str, held_at: datetime) -> None:
    """Copy the ``_held`` batch rows into the hold table, with their lineage."""
    ensure_hold_table(connection, spec)
    connection.execute(
        f"""
        insert into {hold_table(spec)}
        select {", ".join(f"_validated.{quote_identifier(column.name)}" for column in spec.columns)},
            _batch_files.name, _batch_files.modified_at, _batch_files.file_hash, _validated._line_number, ?, ?,
            _held._period, '{HELD}', ?, null
        from _validated
        join _held using (_file_index, _record_no)
        join _batch_files using (_file_index)
        """,
        [load_id, held_at, held_at],
    )


def release(connection: duckdb.DuckDBPyConnection, spec: SourceSpec, closed_through: str | None, at: datetime) -> int:
    """Move held rows of months no longer closed into raw; returns how many were released."""
    if spec.closing_column is None:
        return 0
    ensure_hold_table(connection, spec)
    reopened = "_status = ? and (cast(? as varchar) is null or _period > ?)"
    parameters = [HELD, closed_through, closed_through]
    count = connection.execute(
        f"select count(*) from {hold_table(spec)} where {reopened}",
        parameters,
    ).fetchall()[0][0]
    if not count:
        return 0
    columns = ", ".join(
        [quote_identifier(column.name) for column in spec.columns] + [name for name, _ in LINEAGE_COLUMNS]
    )
    connection.execute("begin transaction")
    try:
        connection.execute(
            f"insert into raw.{quote_identifier(spec.table)} ({columns}) "
            f"select {columns} from {hold_table(spec)} where {reopened}",
            parameters,
        )
        connection.execute(
            f"update {hold_table(spec)} set _status = ?, _released_at = ? where {reopened}",
            [RELEASED, at, *parameters],
        )
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    return count
