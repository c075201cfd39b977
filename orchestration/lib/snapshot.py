"""A read-only copy of the warehouse for BI tools and notebooks, replaced atomically.

DuckDB lets one process write a file, and a reader holding the live warehouse
open would block the next run (and could see a half-built state). So after
every successful build the marts (and the audit and reference tables that
explain them) are copied into ``<warehouse>_snapshot.duckdb`` and exported to
Parquet under ``<warehouse dir>/exports/``; both are written to temporary
names and moved into place with ``os.replace``. A reader that has the old
snapshot open keeps reading it (the old file stays alive until it closes); a
reader that opens the path gets either the old or the new snapshot, whole.

Only what changed is copied. ``audit.snapshot_tables`` in the snapshot lists
every table with its content digest (``lib/warehouse.py: content_digest``),
its row count and when it was last copied; the next publish starts from a copy
of the previous snapshot file and replaces only the tables whose digest moved
(and their Parquet exports), so a day of new spend does not copy the
10M-row credit fact again. Without a previous snapshot, or when no table is
unchanged, the file is written from scratch.

Some columns stay in the warehouse only (``LEFT_OUT_COLUMNS``): the raw text of
rejected rows is whatever a file held, possibly a line that never belonged in
the landing zone, so the snapshot's ``audit.rejected_rows`` keeps file, line,
column and reason, and the full text stays in the warehouse's audit schema.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib.sql import quote_identifier, quote_literal
from orchestration.lib.warehouse import connect, content_digest

SNAPSHOT_SCHEMAS = ("marts", "audit", "reference")
EXPORT_SCHEMAS = ("marts",)
# (schema, table) -> columns not copied to the snapshot (they stay in the warehouse).
LEFT_OUT_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {("audit", "rejected_rows"): ("raw_content",)}
# The snapshot's own table: what each of its tables was copied from, and when.
MANIFEST = ("audit", "snapshot_tables")
MANIFEST_COLUMNS = (
    ("table_schema", "varchar"),
    ("table_name", "varchar"),
    ("row_count", "bigint"),
    ("content_digest", "varchar"),  # of the warehouse table it was copied from
    ("copied_columns", "varchar"),  # the copy's select list (LEFT_OUT_COLUMNS applied)
    ("copied_at", "timestamp with time zone"),
    ("export_bytes", "bigint"),  # the Parquet export as written (null: not exported), so a later publish
    ("export_mtime_ns", "bigint"),  # can tell that the file in exports/ is still the one it wrote
)


@dataclass(frozen=True)
class Snapshot:
    path: Path
    tables: dict[str, int]  # "schema.table" -> rows
    exports: list[Path]
    copied: list[str]  # "schema.table" copied by this publish; the others were unchanged and kept


@dataclass(frozen=True)
class _Published:
    """One table of a snapshot, as its manifest row records it."""

    rows: int
    digest: str
    columns: str
    copied_at: datetime
    export_bytes: int | None
    export_mtime_ns: int | None


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


def _previous_manifest(snapshot: Path) -> dict[tuple[str, str], _Published]:
    """The manifest of the snapshot in place: empty when there is none, or it has no manifest or cannot be read."""
    if not snapshot.exists():
        return {}
    schema, table = MANIFEST
    names = ", ".join(name for name, _ in MANIFEST_COLUMNS)
    try:
        with duckdb.connect(str(snapshot), read_only=True) as reader:
            rows = reader.execute(
                f"select {names} from {quote_identifier(schema)}.{quote_identifier(table)}"  # noqa: S608
            ).fetchall()
    except duckdb.Error:
        return {}
    return {(row[0], row[1]): _Published(*row[2:]) for row in rows}


def _export_stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def publish(warehouse: Path, lake_views: Collection[tuple[str, str]] = ()) -> Snapshot:
    """Copy the reader-facing schemas to a snapshot file and Parquet files, then swap them in.

    The copy is of the schemas' tables, and of ``lake_views``: the ``(schema, name)`` of the views over
    the lake's Parquet that stand for tables when Spark built the models (``lib/spark_engine.py``). A
    table whose content, copied columns and export are those the previous snapshot recorded is kept from
    it rather than copied again.
    """
    target = snapshot_path(warehouse)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    export_root = exports_dir(warehouse)
    previous = _previous_manifest(target)
    now = datetime.now(UTC)
    manifest: dict[tuple[str, str], _Published] = {}
    exports: list[tuple[Path, Path]] = []
    kept_exports: list[Path] = []
    with connect(warehouse) as connection:
        listed = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and list_contains(?, table_schema) "
            "and (table_type = 'BASE TABLE' or list_contains(?, [table_schema, table_name])) order by 1, 2",
            [list(SNAPSHOT_SCHEMAS), [[schema, name] for schema, name in lake_views]],
        ).fetchall()
        to_copy: list[tuple[str, str, str, str]] = []  # (schema, table, digest, copied columns)
        for schema, table in listed:
            source = f"{quote_identifier(schema)}.{quote_identifier(table)}"
            digest = content_digest(connection, source)
            columns = _published_columns(connection, schema, table)
            before = previous.get((schema, table))
            export = export_root / schema / f"{table}.parquet" if schema in EXPORT_SCHEMAS else None
            unchanged = (
                before is not None
                and (before.digest, before.columns) == (digest, columns)
                and (export is None or _export_stat(export) == (before.export_bytes, before.export_mtime_ns))
            )
            if unchanged:
                manifest[(schema, table)] = before
                if export is not None:
                    kept_exports.append(export)
            else:
                to_copy.append((schema, table, digest, columns))
        if manifest:  # start from the previous snapshot: only what changed is written
            shutil.copyfile(target, staging)
        # Paths are ours (derived from ROI_WAREHOUSE), not data; ATTACH and COPY take no bound parameters.
        connection.execute(f"attach {quote_literal(str(staging))} as snapshot")
        try:
            stale = connection.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'snapshot'"
            ).fetchall()
            for schema, table in stale:
                if (schema, table) not in manifest:
                    connection.execute(f"drop table snapshot.{quote_identifier(schema)}.{quote_identifier(table)}")
            for schema in sorted({schema for schema, _ in listed} | {MANIFEST[0]}):
                connection.execute(f"create schema if not exists snapshot.{quote_identifier(schema)}")
            for schema, table, digest, columns in to_copy:
                source = f"{quote_identifier(schema)}.{quote_identifier(table)}"
                connection.execute(f"create table snapshot.{source} as select {columns} from {source}")  # noqa: S608
                stat = None
                if schema in EXPORT_SCHEMAS:
                    final = export_root / schema / f"{table}.parquet"
                    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
                    final.parent.mkdir(parents=True, exist_ok=True)
                    connection.execute(
                        f"copy (select * from snapshot.{source}) to {quote_literal(str(temporary))} "  # noqa: S608
                        "(format parquet)"
                    )
                    stat = _export_stat(temporary)  # a rename keeps size and mtime
                    exports.append((temporary, final))
                rows = int(digest.split(":", 1)[0])
                manifest[(schema, table)] = _Published(rows, digest, columns, now, *(stat or (None, None)))
            _write_manifest(connection, manifest)
        finally:
            connection.execute("detach snapshot")
    os.replace(staging, target)
    for temporary, final in exports:
        os.replace(temporary, final)
    copied = [f"{schema}.{table}" for schema, table, _, _ in to_copy]
    return Snapshot(
        path=target,
        tables={f"{schema}.{table}": manifest[(schema, table)].rows for schema, table in listed},
        exports=sorted([*kept_exports, *(final for _, final in exports)]),
        copied=copied,
    )


def _write_manifest(connection: duckdb.DuckDBPyConnection, manifest: dict[tuple[str, str], _Published]) -> None:
    schema, table = MANIFEST
    relation = f"snapshot.{quote_identifier(schema)}.{quote_identifier(table)}"
    definition = ", ".join(f"{name} {kind}" for name, kind in MANIFEST_COLUMNS)
    connection.execute(f"create table {relation} ({definition})")
    placeholders = ", ".join("?" for _ in MANIFEST_COLUMNS)
    connection.executemany(
        f"insert into {relation} values ({placeholders})",  # noqa: S608 - our names, bound values
        [
            [
                schema_name,
                table_name,
                entry.rows,
                entry.digest,
                entry.columns,
                entry.copied_at,
                entry.export_bytes,
                entry.export_mtime_ns,
            ]
            for (schema_name, table_name), entry in sorted(manifest.items())
        ],
    )
