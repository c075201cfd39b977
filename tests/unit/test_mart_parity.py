"""Two warehouses' marts compared as the engines are: money exact, doubles within 1e-9 relative."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.lib import mart_parity


def test_same_value_compares_money_exactly_and_doubles_within_tolerance() -> None:
    assert mart_parity.same_value(Decimal("1.10"), Decimal("1.1"))
    assert not mart_parity.same_value(Decimal("1.000001"), Decimal("1.000002"))
    assert mart_parity.same_value(1 / 3, 0.3333333333333333)
    assert mart_parity.same_value(0.1 + 0.2, 0.3)  # the last bit, as two engines' sums may differ
    assert not mart_parity.same_value(1 / 3, 0.333333)
    assert mart_parity.same_value(float("nan"), float("nan"))
    assert not mart_parity.same_value(float("nan"), 0.0)
    assert not mart_parity.same_value("a > b", "b > a")


def warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        for statement in statements:
            connection.execute(statement)
    return path


def test_compare_tells_identical_close_and_different_marts_apart(tmp_path: Path) -> None:
    shared = [
        "create table marts.fct_identical as select range as id, range * 0.5 as share from range(1000)",
        # a view on one side, a table on the other (DuckDB's view marts against Spark's tables)
        "create table marts.base as select 'google' as channel, cast(12.50 as decimal(18, 2)) as spend_rc",
    ]
    left = warehouse(
        tmp_path / "left.duckdb",
        [
            *shared,
            "create view marts.fct_view as select * from marts.base",
            "create table marts.fct_close as "
            "select 1 as id, 0.1::double + 0.2::double as roas union all select 2, 1.5::double",
            "create table marts.fct_money as select 'meta' as channel, cast(7.25 as decimal(18, 2)) as spend_rc",
            "create table marts.fct_extra as select 1 as id union all select 1",
            "create table marts.fct_only_left as select 1 as id",
        ],
    )
    right = warehouse(
        tmp_path / "right.duckdb",
        [
            *shared,
            "create table marts.fct_view as select * from marts.base",
            "create table marts.fct_close as select 2 as id, 1.5::double as roas union all select 1, 0.3::double",
            "create table marts.fct_money as select 'meta' as channel, cast(7.26 as decimal(18, 2)) as spend_rc",
            "create table marts.fct_extra as select 1 as id",
        ],
    )
    results = {result.mart: result for result in mart_parity.compare(left, right)}

    assert results["fct_identical"] == mart_parity.MartParity("fct_identical", 1000, 0, None)
    assert results["fct_view"] == mart_parity.MartParity("fct_view", 1, 0, None)
    assert results["base"].difference is None
    # 0.1 + 0.2 is not 0.3 bitwise: one row differs, within the tolerance
    assert results["fct_close"] == mart_parity.MartParity("fct_close", 2, 1, None)
    assert results["fct_money"].difference == "fct_money: ('meta', Decimal('7.25')) != ('meta', Decimal('7.26'))"
    assert results["fct_extra"].difference == (
        "fct_extra: 1 row(s) of the left not on the right, 0 of the right not on the left; the first of the left: (1,)"
    )
    assert results["fct_only_left"].difference == "fct_only_left: not in the right warehouse"
    assert mart_parity.summary(list(results.values())) == (
        "4 of 7 marts the same (3 identical, 1 with doubles within 1e-09 relative)"
    )
    assert mart_parity.main([str(left), str(right)]) == 1
    assert mart_parity.main([str(left), str(left)]) == 0
