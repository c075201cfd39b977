"""Tables Python assets write: replaced whole, several at once or none (``lib/warehouse.py``)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.lib.warehouse import replace_table, replace_tables

FIT = [("fit_id", "varchar"), ("r_hat", "double")]
DRAWS = [("fit_id", "varchar"), ("draw", "integer"), ("value", "decimal(18, 6)")]


def rows(connection: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    return connection.execute(f"select * from {relation} order by all").fetchall()


def test_a_table_is_replaced_with_its_declared_columns_and_types(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        replace_table(connection, "mmm", "fit", FIT, pd.DataFrame({"r_hat": [1.002], "fit_id": ["a"], "extra": [0]}))
        replace_table(connection, "mmm", "fit", FIT, pd.DataFrame({"fit_id": ["b"], "r_hat": [1.004]}))
        assert rows(connection, "mmm.fit") == [("b", 1.004)]
        types = connection.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_name = 'fit' order by ordinal_position"
        ).fetchall()
        assert types == [("fit_id", "VARCHAR"), ("r_hat", "DOUBLE")]
        replace_table(connection, "mmm", "fit", FIT, pd.DataFrame(columns=["fit_id", "r_hat"]))
        assert rows(connection, "mmm.fit") == []  # an empty frame leaves an empty table of the same columns


def test_tables_replaced_together_keep_all_old_rows_when_one_fails(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        replace_tables(
            connection,
            [
                ("mmm", "fit", FIT, pd.DataFrame({"fit_id": ["a"], "r_hat": [1.002]})),
                ("mmm", "draws", DRAWS, pd.DataFrame({"fit_id": ["a"], "draw": [0], "value": ["1.5"]})),
            ],
        )
        broken_draws = pd.DataFrame({"fit_id": ["b"], "draw": [0]})  # no value column
        with pytest.raises(duckdb.Error):
            replace_tables(
                connection,
                [
                    ("mmm", "fit", FIT, pd.DataFrame({"fit_id": ["b"], "r_hat": [1.004]})),
                    ("mmm", "draws", DRAWS, broken_draws),
                ],
            )
        assert rows(connection, "mmm.fit") == [("a", 1.002)]  # the first replacement was rolled back too
        assert [(fit, draw, float(value)) for fit, draw, value in rows(connection, "mmm.draws")] == [("a", 0, 1.5)]
