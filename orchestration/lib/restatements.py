"""Restatement notices: which file replaced which keys of which earlier file, in each load.

A later file restating a natural key wins in staging (``keep_latest_version``:
the greatest file name, then modification time, then line). The ingestion
records, in the same transaction as the rows, every pair of consecutive
versions of a key that its load touched in ``audit.restatements``: the file
that wins, the file it replaces, how many keys, and whether the file that
loses is the newer one by modification time. That last case is almost always
a mistake: a browser saves a second download of ``x.csv`` as ``x (1).csv``,
which sorts *before* ``x.csv``, so the older export keeps winning.

The run summary (``python -m orchestration.cli run``) prints these lines for
its load. All the work is one SQL statement per source over ``raw.<source>``;
SQL text comes from the source specs only, values travel as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.lib.sources import SourceSpec
from orchestration.lib.sql import quote_identifier

TABLE = "audit.restatements"
DDL = f"""
create table if not exists {TABLE} (
    load_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    file_modified_at timestamp not null,
    replaced_file_name varchar not null,
    replaced_file_modified_at timestamp not null,
    keys_replaced bigint not null,
    is_loser_newer boolean not null,
    winner_loaded_now boolean not null,
    recorded_at timestamp not null
)
"""


def ensure_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(DDL)


def record(connection: duckdb.DuckDBPyConnection, spec: SourceSpec, load_id: str, recorded_at: datetime) -> int:
    """Add this load's restatements of ``spec`` to ``audit.restatements``; returns the rows added.

    Looks only at keys the load wrote to raw: for each, its versions in
    staging's order; every consecutive pair from two files where one of the
    two rows came with this load is a restatement (the later version replaces
    the earlier one). ``winner_loaded_now`` is false when this load's file is
    the one that loses (it sorts before a file already loaded).
    """
    ensure_table(connection)
    table = f"raw.{quote_identifier(spec.table)}"
    keys = ", ".join(quote_identifier(column.name) for column in spec.key_columns)
    before = connection.execute(f"select count(*) from {TABLE}").fetchall()[0][0]
    connection.execute(
        f"""
        insert into {TABLE}
        with keys_loaded_now as (
            select distinct {keys} from {table} where _load_id = ?
        ),
        keys_restated as (
            -- those with another version: the sort by version below then sees only them (none of the 1M
            -- touchpoints of a first load; half the CPU time of sorting them all)
            select {keys} from {table}
            semi join keys_loaded_now using ({keys})
            group by {keys}
            having count(*) > 1
        ),
        versions as (
            select
                _source_file,
                _file_modified_at,
                _load_id = ? as is_loaded_now,
                lag(_source_file) over by_version as previous_file,
                lag(_file_modified_at) over by_version as previous_modified_at,
                lag(_load_id = ?) over by_version as is_previous_loaded_now
            from {table}
            semi join keys_restated using ({keys})
            window by_version as (
                partition by {keys} order by _source_file, _file_modified_at, _line_number
            )
        )
        select
            ?,
            ?,
            _source_file,
            _file_modified_at,
            previous_file,
            previous_modified_at,
            count(*),
            previous_modified_at > _file_modified_at,
            is_loaded_now,
            ?
        from versions
        where previous_file is not null
            and (previous_file, previous_modified_at) != (_source_file, _file_modified_at)
            and (is_loaded_now or is_previous_loaded_now)
        group by _source_file, _file_modified_at, previous_file, previous_modified_at, is_loaded_now
        """,
        [load_id, load_id, load_id, load_id, spec.name, recorded_at],
    )
    return connection.execute(f"select count(*) from {TABLE}").fetchall()[0][0] - before


@dataclass(frozen=True)
class Restatement:
    source: str
    file_name: str
    replaced_file_name: str
    keys_replaced: int
    is_loser_newer: bool
    winner_loaded_now: bool

    def describe(self) -> str:
        if self.winner_loaded_now:
            return f"{self.file_name} replaced {self.keys_replaced:,} key(s) of {self.replaced_file_name}"
        return (
            f"{self.replaced_file_name}: {self.keys_replaced:,} key(s) not applied, "
            f"{self.file_name} (loaded before, sorts after it) restates them"
        )

    def warning(self) -> str | None:
        """The name-order trap: the newer file by modification time is the one that loses."""
        if not self.is_loser_newer:
            return None
        return (
            f"{self.replaced_file_name} is newer than {self.file_name} but sorts first, so {self.file_name} "
            f"wins; if {self.replaced_file_name} is the correction, rename it to sort after {self.file_name} "
            "(e.g. add a date or a _v2 suffix) and run again"
        )


def restatements_of_load(connection: duckdb.DuckDBPyConnection, load_id: str) -> list[Restatement]:
    """This load's restatements, per source and file (empty for a warehouse without the table)."""
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'restatements'"
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = connection.execute(
        f"select source, file_name, replaced_file_name, sum(keys_replaced), bool_or(is_loser_newer), "
        f"bool_or(winner_loaded_now) from {TABLE} where load_id = ? "
        "group by source, file_name, replaced_file_name order by source, file_name, replaced_file_name",
        [load_id],
    ).fetchall()
    return [Restatement(*row) for row in rows]


def summary_lines(restatements: list[Restatement]) -> list[str]:
    """The run summary's lines: one per restatement, then a WARNING per name-order trap."""
    lines = [f"  {item.source}: {item.describe()}" for item in restatements]
    lines += [f"  WARNING {item.source}: {item.warning()}" for item in restatements if item.warning()]
    return lines
