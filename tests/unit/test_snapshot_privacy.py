"""The BI snapshot keeps where and why a row was rejected, never the rejected text itself.

A rejected row's raw content is whatever the file held (once, a line of a file outside the landing zone,
through a symlink). The warehouse's audit schema keeps it for whoever fixes the file; the snapshot that
BI tools, notebooks and the dashboard read keeps file, line, column and reason only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from orchestration.lib import snapshot
from orchestration.lib.warehouse import connect, ensure_audit_schema

# A line of a file that must not reach readers (say, /etc/passwd behind a symlink).
LEAKED_LINE = "root:x:0:0:leak-marker-5f1c9a,root:/root:/bin/bash"


def text_cells_containing(connection: duckdb.DuckDBPyConnection, needle: str) -> list[tuple[str, str, str]]:
    """Every (table, column, value) of the database whose value, as text, contains ``needle``."""
    found = []
    columns = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() order by 1, 2, 3"
    ).fetchall()
    for schema, table, column in columns:
        rows = connection.execute(
            f'select cast("{column}" as varchar) from "{schema}"."{table}" '  # names from the catalog
            f'where contains(cast("{column}" as varchar), ?)',
            [needle],
        ).fetchall()
        found += [(f"{schema}.{table}", column, value) for (value,) in rows]
    return found


def test_the_snapshot_keeps_file_line_and_reason_of_rejected_rows_but_not_their_raw_content(tmp_path: Path):
    warehouse = tmp_path / "roi.duckdb"
    rejected_at = dt.datetime(2026, 1, 5, 8, 0)
    with connect(warehouse) as connection:
        ensure_audit_schema(connection)
        connection.execute(
            "insert into audit.rejected_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                "load-1",
                "meta_ads",
                "insights_2026-01.csv",
                "hash-1",
                7,
                "date_start",
                "invalid_date",
                "date_start 'root:x:0:0' is not a date (YYYY-MM-DD)",
                LEAKED_LINE,
                rejected_at,
            ],
        )
        connection.execute("create schema marts")
        connection.execute("create table marts.fct_x as select 1 as x")

    published = snapshot.publish(warehouse)

    assert published.tables["audit.rejected_rows"] == 1
    with duckdb.connect(str(published.path), read_only=True) as reader:
        columns = [
            name for (name,) in reader.execute("select column_name from (describe audit.rejected_rows)").fetchall()
        ]
        assert "raw_content" not in columns
        assert reader.execute(
            "select source, file_name, line_number, column_name, reason_code, reason, rejected_at "
            "from audit.rejected_rows"
        ).fetchall() == [
            (
                "meta_ads",
                "insights_2026-01.csv",
                7,
                "date_start",
                "invalid_date",
                "date_start 'root:x:0:0' is not a date (YYYY-MM-DD)",
                rejected_at,
            )
        ]
        assert text_cells_containing(reader, "leak-marker-5f1c9a") == []
        assert reader.execute("select x from marts.fct_x").fetchall() == [(1,)]  # other tables whole
    assert b"leak-marker-5f1c9a" not in published.path.read_bytes()
    # The warehouse keeps the full text for whoever fixes the file.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select raw_content from audit.rejected_rows").fetchall() == [(LEAKED_LINE,)]
