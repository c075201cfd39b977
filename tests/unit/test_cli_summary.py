"""The run summary's verdict is the publish gate's rule, read from the run's event log.

A step that yields no output skips every step after it without a failed step, so Dagster reports the run
as a success; the checks of the skipped assets were planned and never ran, nothing after them was
built, and the summary must say FAILED and name them (the first whole Spark run said SUCCESS so).
"""

# No `from __future__ import annotations`: Dagster reads the context parameter's annotation.
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from orchestration import cli


@dg.asset(output_required=False)
def orders(context: dg.AssetExecutionContext) -> Iterator[dg.Output[int]]:
    if context.run.tags.get("has_orders") == "yes":
        yield dg.Output(3)


@dg.asset
def orders_by_month(orders: int) -> int:
    return orders


@dg.asset_check(asset=orders_by_month)
def orders_by_month_grain(orders_by_month: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=orders_by_month == 3)


@dg.asset
def campaigns() -> int:
    return 1


@dg.asset_check(asset=campaigns)
def campaigns_target() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"check_kind": "target"})


JOB = dg.define_asset_job("build", selection=dg.AssetSelection.all())
DEFS = dg.Definitions(
    assets=[orders, orders_by_month, campaigns], asset_checks=[orders_by_month_grain, campaigns_target], jobs=[JOB]
)


def _summary(has_orders: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, str]:
    with dg.DagsterInstance.ephemeral() as instance:
        result = DEFS.resolve_job_def("build").execute_in_process(
            instance=instance, tags={"has_orders": has_orders}, raise_on_error=False
        )
        assert result.success  # Dagster's own word: no step failed either way
        code = cli.print_summary(result, tmp_path / "no-warehouse.duckdb", 1.0, instance)
    return code, capsys.readouterr().out


def test_a_run_whose_checked_steps_were_skipped_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _summary("no", capsys, tmp_path)
    assert code == 1
    not_run = "NOT RUN 1 check(s) planned but not run (a step failed or was skipped): "
    assert not_run + "orders_by_month :: orders_by_month_grain" in out
    assert "Result  FAILED" in out


def test_the_same_run_with_every_check_evaluated_succeeds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out = _summary("yes", capsys, tmp_path)
    assert code == 0
    assert "NOT RUN" not in out
    assert "Checks  1 passed, 0 warning(s), 0 failed" in out
    assert "Result  SUCCESS with 1 business target(s) missed (campaigns_target)" in out
