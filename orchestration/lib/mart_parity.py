"""Two warehouses' marts compared row by row: the same landing zone built on DuckDB and on Spark, say.

Keys, strings, integers, dates, timestamps and decimals (money) must be equal; doubles within 1e-9
relative, since two engines' floating-point sums may differ in the last bit. Rows are matched as
multisets: DuckDB's ``except all`` finds the rows of each side the other lacks, so a mart of millions of
identical rows costs one SQL pass, and only the rows that differ bitwise reach Python, where they are
paired (sorted by their exact columns, then their doubles) and compared with :func:`same_value`.

    python -m orchestration.lib.mart_parity SPARK_WAREHOUSE DUCKDB_WAREHOUSE   # exit 1 when a mart differs

``bench/run_bench.py --engine both`` runs it after its two builds; the engine comparison tests use
:func:`first_difference` on the rows they read.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.lib.sql import quote_identifier, quote_literal

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-12  # doubles that are zero on one side and noise on the other
FLOATING = ("DOUBLE", "FLOAT", "REAL")


def same_value(left: object, right: object) -> bool:
    """Equal, doubles within :data:`RELATIVE_TOLERANCE` (NaN equals NaN); decimals equal whatever their scale."""
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(str(left)) == Decimal(str(right))
    return left == right


def first_difference(mart: str, left: Sequence[tuple], right: Sequence[tuple]) -> str | None:
    """The first pair of rows (both sides sorted alike) that are not the same, described; None: all the same."""
    if len(left) != len(right):
        return f"{mart}: {len(left)} rows on one side, {len(right)} on the other"
    for left_row, right_row in zip(left, right, strict=True):
        if len(left_row) != len(right_row) or not all(map(same_value, left_row, right_row)):
            return f"{mart}: {left_row} != {right_row}"
    return None


@dataclass(frozen=True)
class MartParity:
    mart: str
    rows: int  # on the left
    bitwise_different: int  # rows of the left that the right lacks bitwise (0: identical)
    difference: str | None  # None: the same (identical, or doubles within the tolerance)


def compare(left: Path, right: Path, schema: str = "marts") -> list[MartParity]:
    """Every relation of ``schema`` in either warehouse, compared (both opened read-only)."""
    with duckdb.connect() as connection:
        for alias, path in (("left_side", left), ("right_side", right)):
            connection.execute(f"attach {quote_literal(str(path))} as {alias} (read_only)")
        listed = connection.execute(
            "select table_catalog, table_name from information_schema.tables "
            "where table_catalog in ('left_side', 'right_side') and table_schema = ?",
            [schema],
        ).fetchall()
        names = {side: {name for catalog, name in listed if catalog == side} for side in ("left_side", "right_side")}
        results = []
        for mart in sorted(names["left_side"] | names["right_side"]):
            missing = [side for side, present in names.items() if mart not in present]
            if missing:
                side = missing[0].removesuffix("_side")
                results.append(MartParity(mart, 0, 0, f"{mart}: not in the {side} warehouse"))
                continue
            results.append(_compare_mart(connection, schema, mart))
        return results


def _compare_mart(connection: duckdb.DuckDBPyConnection, schema: str, mart: str) -> MartParity:
    relation = f"{quote_identifier(schema)}.{quote_identifier(mart)}"
    left, right = f"left_side.{relation}", f"right_side.{relation}"
    columns = connection.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'left_side' and table_schema = ? and table_name = ? order by ordinal_position",
        [schema, mart],
    ).fetchall()
    # Exact columns first: rows that differ only in a double's last bit sort to the same place on both sides.
    order = ", ".join(
        [quote_identifier(name) for name, kind in columns if kind not in FLOATING]
        + [quote_identifier(name) for name, kind in columns if kind in FLOATING]
    )
    rows = connection.execute(f"select count(*) from {left}").fetchone()[0]  # noqa: S608 - quoted names
    only = {
        side: connection.execute(
            f"select * from (select * from {this} except all select * from {other}) order by {order}"  # noqa: S608
        ).fetchall()
        for side, this, other in (("left", left, right), ("right", right, left))
    }
    if len(only["left"]) != len(only["right"]):
        first = (only["left"] or only["right"])[0]
        side = "left" if only["left"] else "right"
        difference = (
            f"{mart}: {len(only['left'])} row(s) of the left not on the right, {len(only['right'])} of the right "
            f"not on the left; the first of the {side}: {first}"
        )
        return MartParity(mart, rows, len(only["left"]), difference)
    return MartParity(mart, rows, len(only["left"]), first_difference(mart, only["left"], only["right"]))


def summary(results: Sequence[MartParity]) -> str:
    same = [result for result in results if result.difference is None]
    identical = sum(1 for result in same if result.bitwise_different == 0)
    return (
        f"{len(same)} of {len(results)} marts the same ({identical} identical, {len(same) - identical} with doubles "
        f"within {RELATIVE_TOLERANCE:g} relative)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("left", type=Path, help="a warehouse (or snapshot) file")
    parser.add_argument("right", type=Path, help="the other warehouse (or snapshot) file")
    parser.add_argument("--schema", default="marts")
    arguments = parser.parse_args(argv)
    results = compare(arguments.left, arguments.right, arguments.schema)
    for result in results:
        close = f"{result.bitwise_different} row(s) within the tolerance"
        verdict = "identical" if result.bitwise_different == 0 else close
        print(f"  {result.mart:<40} {result.rows:>12,} rows  {result.difference or verdict}")
    print(summary(results))
    return 0 if all(result.difference is None for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
