"""The shared raw layer: immutable Parquet copies of the ``raw`` tables, readable by any engine.

DuckDB ingestion stays the single writer (validation, rejected rows, audit, closed-period holds). After
a source's load has committed, :func:`publish_raw` writes the rows of ``raw.<table>`` that are not in
the lake yet as one Parquet file::

    <lake>/raw/<table>/load_id=<run id>/part-0.parquet

A partition is written once and never changed (a later load writes its own partition). The file holds
every column of the raw table, lineage included; ``load_id`` in the folder name is the load that
published the rows, which is the row's ``_load_id`` except for rows held for a closed month and released
later (they keep the ``_load_id`` of the load that read them). Spark registers the folder as an external
table (``recursiveFileLookup``: each row carries its ``_load_id``); DuckDB reads a local lake with
``read_parquet('<lake>/raw/<table>/*/*.parquet')``.

Which rows are new is decided by their identity, ``(_file_hash, _line_number)`` (a file's bytes are
loaded once, a line once per file), against what the lake already holds: a crash between the
warehouse commit and the Parquet write, a release of held rows, or a lake turned on for an existing
warehouse are all caught up by the next load. In a local folder the file is written under a temporary
name and moved into place, so readers never see half a file (``*.parquet`` globs skip the temporary
name); an object store's upload appears whole when it completes, so it is written in place.

The lake is a folder or an object-store URI (``s3://``, ``gs://``, ``abfss://``; Spark's ``s3a://`` is
the same bucket as ``s3://``). Every read and write of it here goes through pyarrow's filesystems, with
their usual credentials from the environment, so the local side needs no DuckDB extension for a bucket.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from orchestration.lib.sql import quote_identifier

RAW_FOLDER = "raw"
PARTITION_COLUMN = "load_id"
PART_FILE = "part-0.parquet"
ROW_IDENTITY = ("_file_hash", "_line_number")
BATCH_ROWS = 1_000_000  # rows per Arrow batch streamed from DuckDB to the Parquet writer
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://")
# Hadoop's S3 connectors (open-source Spark) name a bucket `s3a://` (`s3n://` of old); pyarrow says `s3://`.
_HADOOP_S3 = re.compile(r"^s3[an]://")
_PUBLISHED = "_roi_lake_published"  # the lake's row identities, as DuckDB sees them while a load is published


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


def is_uri(lake: str) -> bool:
    """Whether the lake is on an object store (a URI) rather than a folder of this machine."""
    return bool(_URI.match(lake))


def filesystem(lake: str) -> tuple[pafs.FileSystem, str]:
    """pyarrow's filesystem of the lake, and the lake's root in it (an absolute folder, or ``bucket/prefix``)."""
    if is_uri(lake):
        return pafs.FileSystem.from_uri(_HADOOP_S3.sub("s3://", lake))
    return pafs.LocalFileSystem(), str(Path(lake).resolve())


def published_files(lake: str, table: str) -> list[str]:
    """The table's published Parquet files, as paths of :func:`filesystem`'s filesystem."""
    store, root = filesystem(lake)
    folder = f"{root}/{RAW_FOLDER}/{table}"
    if store.get_file_info(folder).type == pafs.FileType.NotFound:
        return []
    selector = pafs.FileSelector(folder, recursive=True)
    return sorted(
        info.path
        for info in store.get_file_info(selector)
        if info.is_file and info.path.endswith(".parquet") and f"/{PARTITION_COLUMN}=" in info.path
    )


def write_parquet(reader: pa.RecordBatchReader, store: pafs.FileSystem, folder: str, *, keep_empty: bool) -> int:
    """Stream ``reader`` into ``<folder>/part-0.parquet``, which readers see whole or not at all; the rows written.

    A local file is written under a temporary name and moved into place. An object store's upload
    appears when it completes, so it is written in place, and no folder is made (pyarrow would leave an
    empty marker object for each). No rows and not ``keep_empty``: nothing is written.
    """
    batches = (batch for batch in reader if batch.num_rows)
    first = next(batches, None)
    if first is None and not keep_empty:
        return 0
    final = f"{folder}/{PART_FILE}"
    local = isinstance(store, pafs.LocalFileSystem)
    if local:
        store.create_dir(folder, recursive=True)
    temporary = f"{folder}/.{PART_FILE}.tmp" if local else final
    rows = 0
    with store.open_output_stream(temporary) as stream, pq.ParquetWriter(stream, reader.schema) as writer:
        for batch in itertools.chain([first] if first is not None else [], batches):
            rows += batch.num_rows
            writer.write_batch(batch)
    if temporary != final:
        store.move(temporary, final)
    return rows


def _new_rows_sql(table: str, has_lake_rows: bool) -> str:
    relation = f"raw.{quote_identifier(table)}"
    if not has_lake_rows:
        return f"select * from {relation}"  # noqa: S608 - table name from the source specs, quoted
    matches = " and ".join(f"new_rows.{column} is not distinct from published.{column}" for column in ROW_IDENTITY)
    return (
        f"select new_rows.* from {relation} as new_rows anti join "  # noqa: S608 - constants, quoted
        f"(select {', '.join(ROW_IDENTITY)} from {_PUBLISHED}) as published on {matches}"
    )


def publish_raw(connection: duckdb.DuckDBPyConnection, lake: str, table: str, load_id: str) -> Published:
    """Write the rows of ``raw.<table>`` the lake does not hold yet as the partition of ``load_id``.

    Call it after the load committed. Nothing new: nothing is written. The partition of ``load_id``
    exists already (the same run publishing twice): its rows count as published and nothing is
    rewritten.
    """
    store, root = filesystem(lake)
    partition = partition_folder(root, table, load_id)
    if store.get_file_info(f"{partition}/{PART_FILE}").type != pafs.FileType.NotFound:
        return Published(table, partition_folder(lake, table, load_id), 0)
    published = published_files(lake, table)
    # A cursor of its own: the lake's identities registered on it are gone when it closes, and a result the
    # caller left unfetched on ``connection`` cannot block the registration (DuckDB 2.0 refuses it then).
    with connection.cursor() as cursor:
        if published:
            # The lake's identities are read through pyarrow (any filesystem), streamed into DuckDB's anti join.
            cursor.register(_PUBLISHED, pads.dataset(published, filesystem=store, format="parquet"))
        reader = cursor.sql(_new_rows_sql(table, bool(published))).to_arrow_reader(BATCH_ROWS)
        rows = write_parquet(reader, store, partition, keep_empty=False)
    return Published(table, partition_folder(lake, table, load_id) if rows else None, rows)
