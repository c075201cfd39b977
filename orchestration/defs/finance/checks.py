"""The finance accuracy targets and table rules, as Dagster asset checks (results kept in ``audit.dq_results``).

- ``data_sync_target`` on ``marts/fct_spend_reconciliation``: the matched share of closed-period platform
  spend is at least ``reconciliation.sync_target``. A business target: a miss is a warning, reported and
  alerted, and the snapshot is still published (the reconciliation exceptions are what finance needs).
- ``budget_tracking_target`` on ``marts/fct_budget_vs_actual``: the tracked share of closed budget
  line-periods is at least ``budget.tracking_target``. A business target.
- ``pacing_backtest_mape`` on ``marts/fct_pacing_backtest``: the projection's mean absolute percentage
  error at day 20, missed above ``pacing.backtest_mape_warning``; the flat run rate's error alongside.
  A business target.
- ``gx_fct_spend_reconciliation`` and ``gx_fct_budget_vs_actual``: the marts' row rules as Great
  Expectations suites. Data integrity: ERROR, holds the snapshot back (lib/publish_gate.py).

A target with nothing to measure (no closed period, no closed spend) is "not measurable: ...", never a pass.

Each target is measured in SQL (an aggregate of the mart), turned into a share by ``lib/finance.py`` and
asserted by a Great Expectations suite whose threshold comes from the config file; the measured value and
the threshold are in the check's metadata.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks, finance, gx, settings

RECONCILIATION_MART = dg.AssetKey(["marts", "fct_spend_reconciliation"])
BUDGET_VS_ACTUAL_MART = dg.AssetKey(["marts", "fct_budget_vs_actual"])
PACING_BACKTEST_MART = dg.AssetKey(["marts", "fct_pacing_backtest"])

DATA_SYNC_TARGET = "data_sync_target"
GX_SPEND_RECONCILIATION = "gx_fct_spend_reconciliation"
BUDGET_TRACKING_TARGET = "budget_tracking_target"
GX_BUDGET_VS_ACTUAL = "gx_fct_budget_vs_actual"
PACING_BACKTEST_MAPE = "pacing_backtest_mape"

# The largest problems listed in a check's metadata, so the UI shows where a shortfall comes from.
LISTED_PROBLEMS = 10

RECONCILIATION_ROWS_SQL = """
    select
        status, currency, reporting_currency,
        cast(platform_spend as double) as platform_spend,
        cast(invoiced_amount as double) as invoiced_amount,
        cast(platform_spend_rc as double) as platform_spend_rc,
        cast(tolerance_amount as double) as tolerance_amount,
        cast(abs(difference) as double) as abs_difference,
        cast(abs(difference - (coalesce(invoiced_amount, 0) - coalesce(platform_spend, 0))) as double)
            as difference_error
    from marts.fct_spend_reconciliation
"""

CLOSED_SPEND_BY_STATUS_SQL = """
    select status, sum(platform_spend_rc) as spend_rc, count(*) as account_months
    from marts.fct_spend_reconciliation
    where is_closed
    group by status
    order by status
"""

CLOSED_UNMATCHED_SQL = """
    select platform, platform_account_id, billing_period, status, currency,
        cast(difference as double) as difference,
        round(cast(platform_spend_rc as double), 2) as platform_spend_rc
    from marts.fct_spend_reconciliation
    where is_closed and status != 'matched'
    order by platform_spend_rc desc, abs(difference_rc) desc nulls last
    limit ?
"""

BUDGET_VS_ACTUAL_ROWS_SQL = """
    select
        reporting_currency, budget_currency, actual_source, is_closed, is_tracked,
        cast(budget_rc as double) as budget_rc,
        cast(abs(
            actual_rc - case when actual_source = 'booked' then booked_actual_rc else platform_actual_rc end
        ) as double) as actual_choice_error,
        cast(abs(variance_rc - (actual_rc - budget_rc)) as double) as variance_error
    from marts.fct_budget_vs_actual
"""

CLOSED_UNTRACKED_SQL = """
    select fiscal_period, budget_line_id,
        round(cast(platform_actual_rc as double), 2) as platform_actual_rc,
        round(cast(booked_actual_rc as double), 2) as booked_actual_rc,
        round(platform_vs_booked_pct, 4) as platform_vs_booked_pct
    from marts.fct_budget_vs_actual
    where is_closed and not is_tracked
    order by abs(platform_actual_rc - booked_actual_rc) desc
    limit ?
"""

BACKTEST_SQL = """
    select checkpoint_day, absolute_pct_error, run_rate_absolute_pct_error,
        cast(projected_spend_rc as double) as projected_spend_rc,
        cast(run_rate_projected_spend_rc as double) as run_rate_projected_spend_rc,
        cast(final_spend_rc as double) as final_spend_rc
    from marts.fct_pacing_backtest
    where horizon = 'month'
"""

# The forecasts beyond the month (quarter and fiscal-year end), scored against the horizon's final spend.
HORIZON_BACKTEST_SQL = """
    select horizon, absolute_pct_error, run_rate_absolute_pct_error
    from marts.fct_pacing_backtest
    where horizon != 'month'
"""
FORECAST_HORIZONS = ("quarter", "fiscal_year")


def _as_of_date(connection: duckdb.DuckDBPyConnection) -> str | None:
    row = connection.execute("select max(as_of_date) from intermediate.int_periods").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def _closed_periods(connection: duckdb.DuckDBPyConnection) -> str:
    first, last, count = connection.execute(
        "select min(fiscal_period), max(fiscal_period), count(*) from intermediate.int_periods where is_closed"
    ).fetchone() or (None, None, 0)
    return "none" if not count else f"{first}..{last} ({count} months)"


def unmeasured_reason(closed_periods: str, what: str) -> str:
    """Why a target over the closed periods has nothing to measure."""
    return "no closed period" if closed_periods == "none" else f"no {what} in the closed periods ({closed_periods})"


def sync_outcome(
    spend_by_status: dict[str, float], target: float, closed_periods: str, details: dict[str, Any]
) -> checks.CheckOutcome:
    """The data sync target: matched share of closed spend vs ``target``, or not measurable without any."""
    from orchestration.defs.quality.suites import data_sync_target_suite

    share = finance.matched_share(spend_by_status)
    details = {
        "matched_spend_rc": round(float(spend_by_status.get(finance.MATCHED, 0)), 2),
        "closed_spend_rc": round(float(sum(spend_by_status.values(), 0)), 2),
        "spend_rc_by_status": {status: round(float(spend), 2) for status, spend in spend_by_status.items()},
        "closed_periods": closed_periods,
        **details,
    }
    if share is None:
        reason = unmeasured_reason(closed_periods, "platform spend")
        return checks.not_measurable(DATA_SYNC_TARGET, reason, threshold=target, details=details)
    validation = gx.validate_frame(
        data_sync_target_suite(target), pd.DataFrame({"matched_share_of_closed_spend": [share]}), DATA_SYNC_TARGET
    )
    return checks.target(
        DATA_SYNC_TARGET,
        value=share,
        threshold=target,
        met=bool(validation.success),
        description=f"{_percent(share)} of closed-period platform spend is matched (target {_percent(target)})",
        details={**details, **_gx_details(validation)},
    )


def tracking_outcome(
    tracked: int, measured: int, budget: settings.BudgetSettings, closed_periods: str, details: dict[str, Any]
) -> checks.CheckOutcome:
    """The budget tracking target: tracked share of closed line-periods, or not measurable without any."""
    from orchestration.defs.quality.suites import budget_tracking_target_suite

    details = {
        "tracked": tracked,
        "measured": measured,
        "tracking_tolerance_pct": budget.tracking_tolerance_pct,
        "closed_periods": closed_periods,
        **details,
    }
    share = finance.tracked_share(tracked, measured)
    if share is None:
        reason = unmeasured_reason(closed_periods, "budget line-period")
        return checks.not_measurable(BUDGET_TRACKING_TARGET, reason, threshold=budget.tracking_target, details=details)
    validation = gx.validate_frame(
        budget_tracking_target_suite(budget.tracking_target),
        pd.DataFrame({"tracked_share_of_closed_line_periods": [share]}),
        BUDGET_TRACKING_TARGET,
    )
    return checks.target(
        BUDGET_TRACKING_TARGET,
        value=share,
        threshold=budget.tracking_target,
        met=bool(validation.success),
        description=f"{tracked} of {measured} closed budget line-periods ({_percent(share)}) have platform "
        f"within {_percent(budget.tracking_tolerance_pct)} of booked (target {_percent(budget.tracking_target)})",
        details={**details, **_gx_details(validation)},
    )


def _largest(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """The first LISTED_PROBLEMS rows of ``sql`` (which ends in ``limit ?``) as records."""
    return connection.execute(sql, [LISTED_PROBLEMS]).df().to_dict("records")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _gx_details(validation: Any) -> dict[str, Any]:
    """The suite's name and its failed expectations, as ``gx.to_outcome`` reports them."""
    outcome = gx.to_outcome("suite", validation)
    return {"gx_suite": outcome.details["suite"], "gx_failed_expectations": outcome.details["failed_expectations"]}


def _finish(
    context: dg.AssetCheckExecutionContext,
    warehouse: Warehouse,
    asset_key: dg.AssetKey,
    outcomes: list[checks.CheckOutcome],
) -> Iterator[dg.AssetCheckResult]:
    with warehouse.connect() as connection:
        checks.record(connection, outcomes, asset_key, context.op_execution_context.run_id)
    for outcome in outcomes:
        yield checks.to_asset_check_result(outcome, asset_key)


@dg.multi_asset_check(
    name="spend_reconciliation_checks",
    specs=[
        dg.AssetCheckSpec(
            DATA_SYNC_TARGET,
            asset=RECONCILIATION_MART,
            blocking=False,
            description="Business target (a miss warns, never blocks) - data sync: share of closed-period "
            "platform spend (reporting currency) whose reconciliation status is matched, at least "
            "reconciliation.sync_target (config); not measurable without closed-period spend.",
        ),
        dg.AssetCheckSpec(
            GX_SPEND_RECONCILIATION,
            asset=RECONCILIATION_MART,
            description="GX suite: known statuses and currencies, difference = invoiced - platform, "
            "matched within and mismatched beyond the tolerance, missing sides empty.",
        ),
    ],
)
def spend_reconciliation_checks(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    from orchestration.defs.quality.suites import spend_reconciliation_suite

    target = settings.config().reconciliation.sync_target
    with warehouse.connect(read_only=True) as connection:
        rows = connection.execute(RECONCILIATION_ROWS_SQL).df()
        by_status = connection.execute(CLOSED_SPEND_BY_STATUS_SQL).fetchall()
        unmatched = _largest(connection, CLOSED_UNMATCHED_SQL)
        as_of_date, closed_periods = _as_of_date(connection), _closed_periods(connection)

    sync = sync_outcome(
        {status: spend for status, spend, _ in by_status},
        target,
        closed_periods,
        {
            "account_months_by_status": {status: count for status, _, count in by_status},
            "as_of_date": as_of_date,
            "largest_unmatched": unmatched,
        },
    )
    table = gx.to_outcome(
        GX_SPEND_RECONCILIATION,
        gx.validate_frame(spend_reconciliation_suite(warehouse.reporting_currency), rows, RECONCILIATION_MART.path[-1]),
    )
    yield from _finish(context, warehouse, RECONCILIATION_MART, [sync, table])


@dg.multi_asset_check(
    name="budget_vs_actual_checks",
    specs=[
        dg.AssetCheckSpec(
            BUDGET_TRACKING_TARGET,
            asset=BUDGET_VS_ACTUAL_MART,
            blocking=False,
            description="Business target (a miss warns, never blocks) - budget tracking: share of closed budget "
            "line-periods whose platform actual is within "
            "budget.tracking_tolerance_pct of the booked actual, at least budget.tracking_target (config).",
        ),
        dg.AssetCheckSpec(
            GX_BUDGET_VS_ACTUAL,
            asset=BUDGET_VS_ACTUAL_MART,
            description="GX suite: budget_rc >= 0 and known, actual = booked else platform, "
            "variance = actual - budget, tracking decided exactly for the closed periods.",
        ),
    ],
)
def budget_vs_actual_checks(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    from orchestration.defs.quality.suites import budget_vs_actual_suite

    budget = settings.config().budget
    with warehouse.connect(read_only=True) as connection:
        rows = connection.execute(BUDGET_VS_ACTUAL_ROWS_SQL).df()
        untracked = _largest(connection, CLOSED_UNTRACKED_SQL)
        as_of_date, closed_periods = _as_of_date(connection), _closed_periods(connection)

    closed = rows[rows["is_closed"]]
    tracked, measured = int(closed["is_tracked"].astype(bool).sum()), len(closed)
    tracking = tracking_outcome(
        tracked, measured, budget, closed_periods, {"as_of_date": as_of_date, "largest_untracked": untracked}
    )
    table = gx.to_outcome(
        GX_BUDGET_VS_ACTUAL,
        gx.validate_frame(budget_vs_actual_suite(warehouse.reporting_currency), rows, BUDGET_VS_ACTUAL_MART.path[-1]),
    )
    yield from _finish(context, warehouse, BUDGET_VS_ACTUAL_MART, [tracking, table])


@dg.asset_check(
    asset=PACING_BACKTEST_MART,
    name=PACING_BACKTEST_MAPE,
    blocking=False,
    description="Business target (a miss warns, never blocks) - pacing backtest: mean absolute percentage "
    "error of the day-20 projection over the closed periods and budget lines, missed above "
    "pacing.backtest_mape_warning (config); not measurable without a closed period. The flat run rate's "
    "error on the same backtest is in the metadata.",
)
def pacing_backtest_mape(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
    from orchestration.defs.quality.suites import pacing_backtest_suite

    ceiling = settings.config().pacing.backtest_mape_warning
    with warehouse.connect(read_only=True) as connection:
        backtest = connection.execute(BACKTEST_SQL).df()
        horizons = connection.execute(HORIZON_BACKTEST_SQL).df()
        closed_periods = _closed_periods(connection)

    def at(day: int) -> pd.DataFrame:
        return backtest[backtest["checkpoint_day"] == day]

    def errors(frame: pd.DataFrame, column: str) -> list[float | None]:
        return [None if pd.isna(value) else float(value) for value in frame[column]]

    measured: dict[str, float | None] = {}
    for day in finance.BACKTEST_CHECKPOINT_DAYS:
        frame = at(day)
        measured[f"mape_day_{day}"] = finance.mean_absolute_percentage_error(errors(frame, "absolute_pct_error"))
        measured[f"run_rate_mape_day_{day}"] = finance.mean_absolute_percentage_error(
            errors(frame, "run_rate_absolute_pct_error")
        )
        measured[f"wape_day_{day}"] = finance.weighted_absolute_percentage_error(
            zip(frame["projected_spend_rc"], frame["final_spend_rc"], strict=True)
        )
        measured[f"run_rate_wape_day_{day}"] = finance.weighted_absolute_percentage_error(
            zip(frame["run_rate_projected_spend_rc"], frame["final_spend_rc"], strict=True)
        )
    for horizon in FORECAST_HORIZONS:
        frame = horizons[horizons["horizon"] == horizon]
        measured[f"mape_{horizon}"] = finance.mean_absolute_percentage_error(errors(frame, "absolute_pct_error"))
        measured[f"run_rate_mape_{horizon}"] = finance.mean_absolute_percentage_error(
            errors(frame, "run_rate_absolute_pct_error")
        )
        measured[f"scored_{horizon}_forecasts"] = float(frame["absolute_pct_error"].notna().sum())
    beyond = "; ".join(
        f"{horizon.replace('_', ' ')} end {_percent(measured[f'mape_{horizon}'])} "
        f"(flat run rate {_percent(measured[f'run_rate_mape_{horizon}'])})"
        for horizon in FORECAST_HORIZONS
    )
    mape = measured[f"mape_day_{finance.MAPE_CHECKPOINT_DAY}"]
    run_rate_mape = measured[f"run_rate_mape_day_{finance.MAPE_CHECKPOINT_DAY}"]
    details = {
        **{key: None if value is None else round(value, 6) for key, value in measured.items()},
        "scored_line_periods": int(at(finance.MAPE_CHECKPOINT_DAY)["absolute_pct_error"].notna().sum()),
        "closed_periods": closed_periods,
    }
    if mape is None:
        reason = unmeasured_reason(closed_periods, "budget line-period with spend to backtest")
        outcome = checks.not_measurable(PACING_BACKTEST_MAPE, reason, threshold=ceiling, details=details)
    else:
        validation = gx.validate_frame(
            pacing_backtest_suite(ceiling), pd.DataFrame({"mape_day_20": [mape]}), PACING_BACKTEST_MAPE
        )
        outcome = checks.target(
            PACING_BACKTEST_MAPE,
            value=mape,
            threshold=ceiling,
            met=bool(validation.success),
            description=f"day-20 projection MAPE {_percent(mape)} (flat run rate {_percent(run_rate_mape)}), "
            f"target at most {_percent(ceiling)}; forecasts: {beyond}",
            details={**details, **_gx_details(validation)},
        )
    with warehouse.connect() as connection:
        checks.record(connection, [outcome], PACING_BACKTEST_MART, context.op_execution_context.run_id)
    return checks.to_asset_check_result(outcome, PACING_BACKTEST_MART)


# ---------------------------------------------------------------- spending authorisation (unbudgeted spend)

UNBUDGETED_SPEND_MART = dg.AssetKey(["marts", "fct_unbudgeted_spend"])
BUDGET_VS_ACTUAL_BY_CHANNEL_MART = dg.AssetKey(["marts", "fct_budget_vs_actual_by_channel"])
UNBUDGETED_SPEND_RECONCILES = "unbudgeted_spend_reconciles"
UNBUDGETED_SPEND_SHARE = "unbudgeted_spend_share"
# Money sums compared to the cent: sums of decimal(38, 12) columns agree exactly; half a cent is the bar.
HALF_CENT = 0.005

# Per month: total spend, the roll-up's platform actuals (budget lines + the unbudgeted row), the
# unbudgeted spend and the roll-up's unbudgeted_rc. The first two and the last two must agree.
UNBUDGETED_RECONCILIATION_SQL = """
    with

    spend as (
        select strftime(spend_date, '%Y-%m') as fiscal_period, sum(spend_rc) as total_spend_rc
        from marts.fct_marketing_spend_daily
        group by 1
    ),

    rollup as (
        select period_label as fiscal_period,
            sum(platform_actual_rc) as rollup_platform_actual_rc,
            sum(unbudgeted_rc) as rollup_unbudgeted_rc
        from marts.fct_budget_vs_actual_by_channel
        where period_grain = 'month'
        group by 1
    ),

    unbudgeted as (
        select fiscal_period, sum(spend_rc) as unbudgeted_rc
        from marts.fct_unbudgeted_spend
        group by 1
    ),

    periods as (
        select fiscal_period from spend
        union
        select fiscal_period from rollup
        union
        select fiscal_period from unbudgeted
    )

    select periods.fiscal_period,
        cast(coalesce(total_spend_rc, 0) as double) as total_spend_rc,
        cast(coalesce(rollup_platform_actual_rc, 0) as double) as rollup_platform_actual_rc,
        cast(coalesce(unbudgeted_rc, 0) as double) as unbudgeted_rc,
        cast(coalesce(rollup_unbudgeted_rc, 0) as double) as rollup_unbudgeted_rc
    from periods
    left join spend using (fiscal_period)
    left join rollup using (fiscal_period)
    left join unbudgeted using (fiscal_period)
    order by periods.fiscal_period
"""

UNBUDGETED_BY_REASON_SQL = """
    select reason, count(*) as campaign_days, cast(sum(spend_rc) as double) as spend_rc
    from marts.fct_unbudgeted_spend
    group by reason
    order by reason
"""

LARGEST_UNBUDGETED_SQL = """
    select fiscal_period, platform, campaign_id, campaign_name, reason,
        round(cast(sum(spend_rc) as double), 2) as spend_rc
    from marts.fct_unbudgeted_spend
    group by all
    order by spend_rc desc
    limit ?
"""


def unbudgeted_reconciliation_outcome(months: pd.DataFrame) -> checks.CheckOutcome:
    """Per month, the roll-up's platform actuals equal total spend and its unbudgeted_rc the unbudgeted spend."""
    spend_gap = (months["rollup_platform_actual_rc"] - months["total_spend_rc"]).abs()
    unbudgeted_gap = (months["rollup_unbudgeted_rc"] - months["unbudgeted_rc"]).abs()
    worst = float(max(spend_gap.max(), unbudgeted_gap.max())) if len(months) else 0.0
    off = months.loc[(spend_gap > HALF_CENT) | (unbudgeted_gap > HALF_CENT)]
    return checks.CheckOutcome(
        name=UNBUDGETED_SPEND_RECONCILES,
        passed=off.empty,
        value=worst,
        threshold=HALF_CENT,
        description=(
            f"{len(months)} month(s): budget roll-up platform actuals (budget lines + unbudgeted) = total spend "
            f"and unbudgeted_rc = fct_unbudgeted_spend, to the cent (largest gap {worst:.6f})"
            if off.empty
            else f"{len(off)} of {len(months)} month(s) do not reconcile to total spend (largest gap {worst:.2f})"
        ),
        details={
            "months": len(months),
            "total_spend_rc": round(float(months["total_spend_rc"].sum()), 2),
            "unbudgeted_rc": round(float(months["unbudgeted_rc"].sum()), 2),
            "months_off": off.round(2).to_dict("records")[:LISTED_PROBLEMS],
        },
    )


def unbudgeted_share_outcome(
    total_spend_rc: float, by_reason: dict[str, float], target: float, details: dict[str, Any]
) -> checks.CheckOutcome:
    """The unbudgeted spend target: at most ``target`` of total spend unbudgeted; not measurable without spend."""
    unbudgeted = float(sum(by_reason.values(), 0.0))
    details = {
        "total_spend_rc": round(total_spend_rc, 2),
        "unbudgeted_rc": round(unbudgeted, 2),
        "unbudgeted_rc_by_reason": {reason: round(spend, 2) for reason, spend in by_reason.items()},
        **details,
    }
    if total_spend_rc <= 0:
        return checks.not_measurable(UNBUDGETED_SPEND_SHARE, "no spend", threshold=target, details=details)
    share = unbudgeted / total_spend_rc
    reasons = ", ".join(f"{reason} {spend:,.2f}" for reason, spend in by_reason.items()) or "none"
    return checks.target(
        UNBUDGETED_SPEND_SHARE,
        value=share,
        threshold=target,
        met=share <= target,
        description=f"{_percent(share)} of spend is unbudgeted ({unbudgeted:,.2f} of {total_spend_rc:,.2f}: "
        f"{reasons}); target at most {_percent(target)}",
        details=details,
    )


@dg.multi_asset_check(
    name="unbudgeted_spend_checks",
    specs=[
        dg.AssetCheckSpec(
            UNBUDGETED_SPEND_RECONCILES,
            asset=BUDGET_VS_ACTUAL_BY_CHANNEL_MART,
            description="Data integrity: per month, the roll-up's platform actuals (budget lines and the "
            "unbudgeted row) equal total spend in fct_marketing_spend_daily, and its unbudgeted_rc equals "
            "fct_unbudgeted_spend, to the cent.",
        ),
        dg.AssetCheckSpec(
            UNBUDGETED_SPEND_SHARE,
            asset=UNBUDGETED_SPEND_MART,
            blocking=False,
            description="Business target (a miss warns, never blocks) - spending authorisation: the share of "
            "total spend that no budget authorises is at most budget.unbudgeted_share_target (config).",
        ),
    ],
)
def unbudgeted_spend_checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> Iterator[Any]:
    target = settings.config().budget.unbudgeted_share_target
    with warehouse.connect(read_only=True) as connection:
        months = connection.execute(UNBUDGETED_RECONCILIATION_SQL).df()
        by_reason = {reason: spend for reason, _, spend in connection.execute(UNBUDGETED_BY_REASON_SQL).fetchall()}
        days = {reason: days for reason, days, _ in connection.execute(UNBUDGETED_BY_REASON_SQL).fetchall()}
        largest = _largest(connection, LARGEST_UNBUDGETED_SQL)
    reconciles = unbudgeted_reconciliation_outcome(months)
    share = unbudgeted_share_outcome(
        float(months["total_spend_rc"].sum()),
        by_reason,
        target,
        {"campaign_days_by_reason": days, "largest": largest},
    )
    run_id = context.op_execution_context.run_id
    with warehouse.connect() as connection:
        checks.record(connection, [reconciles], BUDGET_VS_ACTUAL_BY_CHANNEL_MART, run_id)
        checks.record(connection, [share], UNBUDGETED_SPEND_MART, run_id)
    yield checks.to_asset_check_result(reconciles, BUDGET_VS_ACTUAL_BY_CHANNEL_MART)
    yield checks.to_asset_check_result(share, UNBUDGETED_SPEND_MART)
