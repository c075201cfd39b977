"""Finance: spend reconciliation, budget vs actual and pacing (dbt marts/finance), their accuracy checks and
the reconciliation work list."""

import dagster as dg

from orchestration.defs.finance.assets import reconciliation_exceptions
from orchestration.defs.finance.checks import (
    budget_vs_actual_checks,
    pacing_backtest_mape,
    spend_reconciliation_checks,
    unbudgeted_spend_checks,
)


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[reconciliation_exceptions],
        asset_checks=[
            spend_reconciliation_checks,
            budget_vs_actual_checks,
            pacing_backtest_mape,
            unbudgeted_spend_checks,
        ],
    )
