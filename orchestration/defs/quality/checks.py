"""Great Expectations suites on the marts, as Dagster asset checks (results kept in ``audit.dq_results``).

Great Expectations takes seconds to import, so suites are imported when a check runs, not when
the code location loads.
"""

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks, gx

SPEND_MART = dg.AssetKey(["marts", "fct_marketing_spend_daily"])


@dg.asset_check(
    asset=SPEND_MART,
    name="gx_fct_marketing_spend_daily",
    description="GX suite: rows > 0, spend >= 0, currency known, spend_rc = spend x fx_rate within rounding.",
)
def gx_marketing_spend_daily(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
    from orchestration.defs.quality.suites import marketing_spend_daily_suite  # GX is slow to import: only here

    with warehouse.connect(read_only=True) as connection:
        frame = connection.execute(
            """
            select currency, reporting_currency,
                cast(spend as double) as spend,
                cast(spend_rc as double) as spend_rc,
                abs(cast(spend_rc - spend * fx_rate as double)) as spend_rc_conversion_error
            from marts.fct_marketing_spend_daily
            """
        ).df()
    validation = gx.validate_frame(
        marketing_spend_daily_suite(warehouse.reporting_currency), frame, SPEND_MART.path[-1]
    )
    outcome = gx.to_outcome("gx_fct_marketing_spend_daily", validation)
    with warehouse.connect() as connection:
        checks.record(connection, [outcome], SPEND_MART, context.op_execution_context.run_id)
    return checks.to_asset_check_result(outcome, SPEND_MART)
