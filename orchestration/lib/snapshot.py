"""A read-only copy of the warehouse for BI tools and notebooks, replaced atomically.

DuckDB lets one process write a file, and a reader holding the live warehouse
open would block the next run (and could see a half-built state). So after
every successful build the marts (and the audit and reference tables that
explain them) are copied into ``<warehouse>_snapshot.duckdb`` and exported to
Parquet under ``<warehouse dir>/exports/``; both are written to temporary
names and moved into place with ``os.replace``. A reader that has the old
snapshot open keeps reading it (the old file stays alive until it closes); a
reader that opens the path gets either the old or the new snapshot, whole.

Some columns stay in the warehouse only (``LEFT_OUT_COLUMNS``): the raw text of
rejected rows is whatever a file held, possibly a line that never belonged in
the landing zone, so the snapshot's ``audit.rejected_rows`` keeps file, line,
column and reason, and the full text stays in the warehouse's audit schema.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.sql import quote_identifier, quote_literal
from orchestration.lib.warehouse import connect

SNAPSHOT_SCHEMAS = ("marts", "audit", "reference")
EXPORT_SCHEMAS = ("marts",)
# (schema, table) -> columns not copied to the snapshot (they stay in the warehouse).
LEFT_OUT_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {("audit", "rejected_rows"): ("raw_content",)}


@dataclass(frozen=True)
class Snapshot:
    path: Path
    tables: dict[str, int]  # "schema.table" -> rows
    exports: list[Path]


def snapshot_path(warehouse: Path) -> Path:
    return warehouse.with_name(f"{warehouse.stem}_snapshot{warehouse.suffix or '.duckdb'}")


def exports_dir(warehouse: Path) -> Path:
    return warehouse.parent / "exports"


def sqlalchemy_url(warehouse: Path) -> str:
    """The URL a BI tool (duckdb-engine) uses to read the snapshot."""
    return f"duckdb:///{snapshot_path(warehouse).resolve()}?access_mode=read_only"


def _published_columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    """The select list of a table's copy: every column but its ``LEFT_OUT_COLUMNS``, quoted, in order."""
    left_out = LEFT_OUT_COLUMNS.get((schema, table), ())
    if not left_out:
        return "*"
    columns = connection.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return ", ".join(quote_identifier(name) for (name,) in columns if name not in left_out)


def publish(warehouse: Path, lake_views: Collection[tuple[str, str]] = ()) -> Snapshot:
    """Copy the reader-facing schemas to a fresh snapshot file and Parquet files, then swap them in.

    The copy is of the schemas' tables, and of ``lake_views``: the ``(schema, name)`` of the views over
    the lake's Parquet that stand for tables when Spark built the models (``lib/spark_engine.py``).
    """
    target = snapshot_path(warehouse)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    export_root = exports_dir(warehouse)
    tables: dict[str, int] = {}
    exports: list[tuple[Path, Path]] = []
    with connect(warehouse) as connection:
        listed = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and list_contains(?, table_schema) "
            "and (table_type = 'BASE TABLE' or list_contains(?, [table_schema, table_name])) order by 1, 2",
            [list(SNAPSHOT_SCHEMAS), [[schema, name] for schema, name in lake_views]],
        ).fetchall()
        # Paths are ours (derived from ROI_WAREHOUSE), not data; ATTACH and COPY take no bound parameters.
        connection.execute(f"attach {quote_literal(str(staging))} as snapshot")
        try:
            for schema in sorted({schema for schema, _ in listed}):
                connection.execute(f"create schema snapshot.{quote_identifier(schema)}")
            for schema, table in listed:
                source = f"{quote_identifier(schema)}.{quote_identifier(table)}"
                columns = _published_columns(connection, schema, table)
                connection.execute(f"create table snapshot.{source} as select {columns} from {source}")  # noqa: S608
                tables[f"{schema}.{table}"] = connection.execute(
                    f"select count(*) from snapshot.{source}"  # noqa: S608
                ).fetchall()[0][0]
                if schema in EXPORT_SCHEMAS:
                    final = export_root / schema / f"{table}.parquet"
                    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
                    final.parent.mkdir(parents=True, exist_ok=True)
                    connection.execute(
                        f"copy (select * from snapshot.{source}) to {quote_literal(str(temporary))} "  # noqa: S608
                        "(format parquet)"
                    )
                    exports.append((temporary, final))
        finally:
            connection.execute("detach snapshot")
    os.replace(staging, target)
    for temporary, final in exports:
        os.replace(temporary, final)
    return Snapshot(path=target, tables=tables, exports=[final for _, final in exports])
