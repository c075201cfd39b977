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

Everything here is local-lake only for the views' paths (an object-store lake needs DuckDB's httpfs
and credentials from the environment, README "Running on Spark").
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchestration.lib.sql import quote_identifier, quote_literal

# The dbt schemas whose table models Spark writes to the lake (dbt_project.yml `location_root`), and the
# seeds' copies (`reference`, the on-run-end hook in macros/spark_lake_sources.sql).
LAKE_LAYERS = ("intermediate", "marts", "audit", "reference")
SOURCES_FOLDER = "sources"
NO_CONSOLE_PROGRESS = "--conf spark.ui.showConsoleProgress=false"
PART_FILE = "part-0.parquet"


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
    exported: list[str] = []
    for schema, table in sorted(set(sources)):
        if (schema, table) not in present:
            continue
        folder = Path(lake) / SOURCES_FOLDER / schema / table
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{PART_FILE}.tmp"
        relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        connection.execute(
            f"copy (select * from {relation}) to {quote_literal(str(temporary))} (format parquet)"  # noqa: S608
        )
        os.replace(temporary, folder / PART_FILE)
        exported.append(f"{schema}.{table}")
    return exported


def published_raw_tables(lake: str) -> list[str]:
    """The raw tables with at least one published partition in the lake (``lib/lake.py``)."""
    root = Path(lake) / "raw"
    if not root.is_dir():
        return []
    return sorted(folder.name for folder in root.iterdir() if any(folder.glob("load_id=*/*.parquet")))


def lake_tables(lake: str, layers: Iterable[str] = LAKE_LAYERS) -> dict[tuple[str, str], str]:
    """``(schema, model) -> parquet glob`` of every table Spark wrote to the lake (a folder with Parquet files)."""
    found: dict[tuple[str, str], str] = {}
    for layer in layers:
        root = Path(lake) / layer
        if not root.is_dir():
            continue
        for folder in sorted(path for path in root.iterdir() if path.is_dir()):
            if any(folder.glob("*.parquet")):
                found[(layer, folder.name)] = str(folder / "*.parquet")
    return found


def attach_lake_tables(connection: duckdb.DuckDBPyConnection, tables: Mapping[tuple[str, str], str]) -> int:
    """Make ``<schema>.<model>`` in DuckDB a view over the model's Parquet in the lake (replacing a table)."""
    kinds = dict(
        ((schema, name), kind)
        for schema, name, kind in connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
        ).fetchall()
    )
    for (schema, name), glob in tables.items():
        relation = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        connection.execute(f"create schema if not exists {quote_identifier(schema)}")
        if kinds.get((schema, name)) == "BASE TABLE":
            connection.execute(f"drop table {relation}")
        connection.execute(
            f"create or replace view {relation} as select * from read_parquet({quote_literal(glob)})"  # noqa: S608
        )
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
            attach_lake_tables(connection, lake_tables(lake))


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
