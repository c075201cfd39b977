"""The shared raw layer: immutable Parquet copies of the ``raw`` tables, readable by any engine.

DuckDB ingestion stays the single writer (validation, rejected rows, audit, closed-period holds). After
a source's load has committed, :func:`publish_raw` writes the rows of ``raw.<table>`` that are not in
the lake yet as one Parquet file::

    <lake>/raw/<table>/load_id=<run id>/part-0.parquet

A partition is written once and never changed (a later load writes its own partition). The file holds
every column of the raw table, lineage included; ``load_id`` in the folder name is the load that
published the rows, which is the row's ``_load_id`` except for rows held for a closed month and released
later (they keep the ``_load_id`` of the load that read them). Spark registers the folder as an external
table partitioned by ``load_id``; DuckDB reads it with ``read_parquet('<lake>/raw/<table>/*/*.parquet')``.

Which rows are new is decided by their identity, ``(_file_hash, _line_number)`` (a file's bytes are
loaded once, a line once per file), against what the lake already holds: a crash between the
warehouse commit and the Parquet write, a release of held rows, or a lake turned on for an existing
warehouse are all caught up by the next load. The file is written under a temporary name and moved
into place, so readers never see half a file (``*.parquet`` globs skip the temporary name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from orchestration.lib.sql import quote_identifier

RAW_FOLDER = "raw"
PARTITION_COLUMN = "load_id"
PART_FILE = "part-0.parquet"
ROW_IDENTITY = ("_file_hash", "_line_number")
BATCH_ROWS = 1_000_000  # rows per Arrow batch streamed from DuckDB to the Parquet writer
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://")


@dataclass(frozen=True)
class Published:
    """What one :func:`publish_raw` call wrote: the partition's path and its rows (0: nothing new)."""

    table: str
    path: str | None
    rows: int


def table_folder(lake: str, table: str) -> str:
    return f"{lake.rstrip('/')}/{RAW_FOLDER}/{table}"


def partition_folder(lake: str, table: str, load_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", load_id):
        raise ValueError(f"load id {load_id!r} cannot name a lake partition")
    return f"{table_folder(lake, table)}/{PARTITION_COLUMN}={load_id}"


def parquet_glob(lake: str, table: str) -> str:
    """Every published file of ``table``: what DuckDB's ``read_parquet`` (and so this module) reads."""
    return f"{table_folder(lake, table)}/{PARTITION_COLUMN}=*/*.parquet"


def _filesystem(lake: str) -> tuple[pafs.FileSystem, str]:
    if _URI.match(lake):
        return pafs.FileSystem.from_uri(lake)
    return pafs.LocalFileSystem(), str(Path(lake).resolve())


def published_files(lake: str, table: str) -> list[str]:
    """The table's published Parquet files (local lakes; for a URI, what pyarrow's filesystem lists)."""
    filesystem, root = _filesystem(lake)
    folder = f"{root}/{RAW_FOLDER}/{table}"
    if filesystem.get_file_info(folder).type == pafs.FileType.NotFound:
        return []
    selector = pafs.FileSelector(folder, recursive=True)
    return sorted(
        info.path
        for info in filesystem.get_file_info(selector)
        if info.is_file and info.path.endswith(".parquet") and f"/{PARTITION_COLUMN}=" in info.path
    )


def _new_rows_sql(table: str, has_lake_rows: bool) -> str:
    relation = f"raw.{quote_identifier(table)}"
    if not has_lake_rows:
        return f"select * from {relation}"  # noqa: S608 - table name from the source specs, quoted
    matches = " and ".join(f"new_rows.{column} is not distinct from published.{column}" for column in ROW_IDENTITY)
    return (
        f"select new_rows.* from {relation} as new_rows anti join "  # noqa: S608 - constants, quoted
        f"(select {', '.join(ROW_IDENTITY)} from read_parquet(?, hive_partitioning = false)) as published "
        f"on {matches}"
    )


def publish_raw(connection: duckdb.DuckDBPyConnection, lake: str, table: str, load_id: str) -> Published:
    """Write the rows of ``raw.<table>`` the lake does not hold yet as the partition of ``load_id``.

    Call it after the load committed. Nothing new: nothing is written. The partition of ``load_id``
    exists already (the same run publishing twice): its rows count as published and nothing is
    rewritten.
    """
    files = published_files(lake, table)
    filesystem, root = _filesystem(lake)
    local_partition = partition_folder(root, table, load_id)
    if filesystem.get_file_info(f"{local_partition}/{PART_FILE}").type != pafs.FileType.NotFound:
        return Published(table, partition_folder(lake, table, load_id), 0)
    sql = _new_rows_sql(table, bool(files))
    parameters = [files] if files else []
    reader = connection.sql(sql, params=parameters or None).to_arrow_reader(BATCH_ROWS)
    filesystem.create_dir(local_partition, recursive=True)
    temporary = f"{local_partition}/.{PART_FILE}.tmp"
    rows = 0
    with filesystem.open_output_stream(temporary) as stream, pq.ParquetWriter(stream, reader.schema) as writer:
        for batch in reader:
            rows += batch.num_rows
            writer.write_batch(batch)
    if rows == 0:
        filesystem.delete_dir(local_partition)
        return Published(table, None, 0)
    filesystem.move(temporary, f"{local_partition}/{PART_FILE}")
    return Published(table, partition_folder(lake, table, load_id), rows)
