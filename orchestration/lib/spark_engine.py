"""The Spark engine (``ROI_ENGINE=spark``): what surrounds a dbt invocation on the ``spark`` target.

DuckDB stays the warehouse every reader opens; Spark only builds the dbt models. Around each dbt
invocation on Spark:

- before: the sources that Dagster assets write into DuckDB (attribution solvers, the MMM, the
  optimiser) are exported as Parquet to ``<lake>/sources/<schema>/<table>/`` (:func:`export_sources`);
  the raw tables are in the lake already (``lib/lake.py``). The project's on-run-start hook registers
  both as external tables of the Spark catalog (``macros/spark_lake_sources.sql``).
- dbt writes every table model as Parquet under ``<lake>/<schema>/<model>/`` (``location_root`` in
  ``dbt_project.yml``).
- after: the DuckDB warehouse gets a view over each of those folders in the model's schema
  (:func:`attach_lake_tables`), so checks, GX suites, reports, alerts, the snapshot and the dashboards
  read ``marts.fct_…`` whichever engine built it.

The lake is a folder or an object-store URI (``lib/lake.py``): everything here reads and writes it through
pyarrow's filesystems. On a local lake the warehouse's relations are views over the Parquet; on an
object store DuckDB would need its httpfs extension and credentials to read the same files, so the
warehouse holds a copy of each model instead, read through pyarrow (README "A cluster and a lake on
object storage").
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pyarrow.fs as pafs

from orchestration.lib.lake import BATCH_ROWS, PARTITION_COLUMN, RAW_FOLDER, filesystem, is_uri, write_parquet
from orchestration.lib.sql import quote_identifier, quote_literal

# The dbt schemas whose table models Spark writes to the lake (dbt_project.yml `location_root`), and the
# seeds' copies (`reference`, the on-run-end hook in macros/spark_lake_sources.sql).
LAKE_LAYERS = ("intermediate", "marts", "audit", "reference")
SOURCES_FOLDER = "sources"
NO_CONSOLE_PROGRESS = "--conf spark.ui.showConsoleProgress=false"
_LAKE_MODEL = "_roi_lake_model"  # a model's Parquet as DuckDB sees it while the warehouse copies it


def spark_dir(warehouse: Path) -> Path:
    """Spark's own state (Hive metastore, managed tables such as seeds): ``ROI_SPARK_DIR`` or beside the warehouse."""
    configured = os.environ.get("ROI_SPARK_DIR")
    return Path(configured).resolve() if configured else warehouse.parent / "spark"


def dbt_environment(lake: str, warehouse: Path, exported: Iterable[str] = ()) -> dict[str, str]:
    """The environment variables the spark target and the hooks read, and the JVM's launch options.

    Spark's console progress bar is switched off: in session mode the JVM shares dbt's process, and
    dagster-dbt reads dbt's stdout and stderr as one stream of JSON lines, so a bar printed without its
    newline (``[Stage 577:>  (0 + 1) / 1]``) glued itself to the next event, which was lost (18 test
    results of the sample's first run, and the steps after them skipped). ``PYSPARK_SUBMIT_ARGS`` is how
    PySpark starts the JVM; options already in it are kept.
    """
    submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
    if NO_CONSOLE_PROGRESS not in submit:
        submit = f"{NO_CONSOLE_PROGRESS} {submit}"
    return {
        "ROI_LAKE": lake,
        "ROI_SPARK_DIR": str(spark_dir(warehouse)),
        "ROI_LAKE_SOURCES": ",".join(sorted(exported)),
        "PYSPARK_SUBMIT_ARGS": submit,
    }


def export_sources(connection: duckdb.DuckDBPyConnection, lake: str, sources: Iterable[tuple[str, str]]) -> list[str]:
    """Write each ``(schema, table)`` the warehouse holds as ``<lake>/sources/<schema>/<table>/part-0.parquet``.

    Tables the warehouse does not hold (a model not fitted yet) are left out. Returns the exported
    ``schema.table`` names, which the on-run-start hook registers on Spark.
    """
    present = set(connection.execute("select table_schema, table_name from information_schema.tables").fetchall())
    store, root = filesystem(lake)
    exported: list[str] = []
    for schema, table in sorted(set(sources)):
        if (schema, table) not in present:
            continue
        relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        reader = connection.sql(f"select * from {relation}").to_arrow_reader(BATCH_ROWS)  # noqa: S608
        # An empty table is written too: Spark takes the table's columns from the file.
        write_parquet(reader, store, f"{root}/{SOURCES_FOLDER}/{schema}/{table}", keep_empty=True)
        exported.append(f"{schema}.{table}")
    return exported


def _parquet_folders(lake: str, layer: str, depth: int) -> set[tuple[str, ...]]:
    """The folders under ``<lake>/<layer>`` that hold a Parquet file ``depth`` levels down, as path parts.

    One recursive listing (one paginated call on an object store). Files named ``.…`` or ``_…`` (Spark's
    checksums, ``_SUCCESS``, a write's temporary file) are not data.
    """
    store, root = filesystem(lake)
    folder = f"{root}/{layer}"
    if store.get_file_info(folder).type != pafs.FileType.Directory:
        return set()
    found = set()
    for info in store.get_file_info(pafs.FileSelector(folder, recursive=True)):
        parts = info.path[len(folder) + 1 :].split("/")
        if info.is_file and len(parts) == depth + 1 and parts[-1].endswith(".parquet") and parts[-1][0] not in "._":
            found.add(tuple(parts[:-1]))
    return found


def published_raw_tables(lake: str) -> list[str]:
    """The raw tables with at least one published partition in the lake (``lib/lake.py``)."""
    folders = _parquet_folders(lake, RAW_FOLDER, 2)
    return sorted({table for table, partition in folders if partition.startswith(f"{PARTITION_COLUMN}=")})


def lake_tables(lake: str, layers: Iterable[str] = LAKE_LAYERS) -> dict[tuple[str, str], str]:
    """``(schema, model) -> folder`` of every table Spark wrote to the lake (a folder with Parquet files).

    The folder is a path of the lake's pyarrow filesystem (:func:`lib.lake.filesystem`).
    """
    _, root = filesystem(lake)
    return {
        (layer, name): f"{root}/{layer}/{name}"
        for layer in layers
        for (name,) in sorted(_parquet_folders(lake, layer, 1))
    }


def attach_lake_tables(connection: duckdb.DuckDBPyConnection, lake: str, tables: Mapping[tuple[str, str], str]) -> int:
    """Make ``<schema>.<model>`` in DuckDB read the model's Parquet in the lake (:func:`lake_tables`).

    A local lake: a view over the folder's files (replacing a table of that name). An object store: a
    table copied from the files through pyarrow (replacing a view or a table), since DuckDB's own reader
    would need its httpfs extension.
    """
    kinds = dict(
        ((schema, name), kind)
        for schema, name, kind in connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
        ).fetchall()
    )
    store, _ = filesystem(lake)
    for (schema, name), folder in tables.items():
        relation = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        connection.execute(f"create schema if not exists {quote_identifier(schema)}")
        if not is_uri(lake):
            if kinds.get((schema, name)) == "BASE TABLE":
                connection.execute(f"drop table {relation}")
            glob = quote_literal(f"{folder}/*.parquet")
            connection.execute(f"create or replace view {relation} as select * from read_parquet({glob})")  # noqa: S608
            continue
        if kinds.get((schema, name)) == "VIEW":
            connection.execute(f"drop view {relation}")
        with connection.cursor() as cursor:  # the registration is the cursor's alone (lib/lake.py publish_raw)
            cursor.register(_LAKE_MODEL, pads.dataset(folder, filesystem=store, format="parquet"))
            cursor.execute(f"create or replace table {relation} as select * from {_LAKE_MODEL}")  # noqa: S608
    return len(tables)


def manifest_sources(manifest: Mapping) -> list[tuple[str, str]]:
    """The ``(schema, identifier)`` of every dbt source outside ``raw`` (tables Dagster assets write)."""
    return sorted(
        {
            (source["schema"], source["identifier"])
            for source in manifest.get("sources", {}).values()
            if source["schema"] != "raw"
        }
    )


@contextmanager
def around_dbt(warehouse: Path, lake: str, manifest: Mapping) -> Iterator[None]:
    """Prepare a dbt invocation on Spark in this process (the pipeline's dbt assets), views after it.

    Exports the Dagster-written sources, sets the environment the spark target and the on-run-start hook
    read (dagster-dbt starts dbt with this process's environment), and after dbt, whether it succeeded or
    not, points the warehouse's views at what Spark wrote.
    """
    with duckdb.connect(str(warehouse)) as connection:
        exported = export_sources(connection, lake, manifest_sources(manifest))
    exported += [f"raw.{table}" for table in published_raw_tables(lake)]
    spark_dir(warehouse).mkdir(parents=True, exist_ok=True)
    environment = dbt_environment(lake, warehouse, exported)
    previous = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        with duckdb.connect(str(warehouse)) as connection:
            attach_lake_tables(connection, lake, lake_tables(lake))


def build(
    warehouse: Path,
    lake: str,
    dbt_arguments: list[str],
    *,
    project_dir: Path,
    dbt_executable: Path,
    manifest: Mapping,
) -> subprocess.CompletedProcess[str]:
    """One dbt invocation on the ``spark`` target, with the lake's sources exported before and views after.

    ``dbt_arguments`` is the command and its options (``["build", "--vars", …]``). The warehouse is
    opened only before and after dbt, never while Spark runs.
    """
    with around_dbt(warehouse, lake, manifest):
        completed = subprocess.run(
            [str(dbt_executable), *dbt_arguments, "--target", "spark", "--project-dir", str(project_dir)],
            env={**os.environ, "DBT_PROFILES_DIR": str(project_dir)},
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
    return completed
