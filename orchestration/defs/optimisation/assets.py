"""Budget scenarios from the marketing-mix model's response curves (group ``incrementality``).

``budget_scenarios`` reads the current fit's posterior curves (``incrementality.mmm_curve_draws``),
each window's spend per channel (``marts.fct_marketing_spend_daily``) and gross-margin ratio
(``marts.fct_conversions``), runs every scenario of ``optimisation`` in the config
(``lib/optimisation``) and writes ``incrementality.budget_scenarios`` and
``incrementality.budget_scenario_summary``, which dbt publishes as ``marts.fct_budget_scenarios`` and
``marts.fct_budget_scenario_summary``. With no fitted model it records "no model fitted" and writes
both tables empty: the build goes on.

Its two WARN checks compare the best scenario's budget-efficiency gain and ROI improvement with the
seed's targets (``optimisation.efficiency_target``, ``roi_improvement_target``); with nothing to
measure they report "not measurable", never a pass. Both land in ``audit.dq_results``.
"""

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks, settings
from orchestration.lib.incrementality.curves import CURVE_DRAW_COLUMNS, curves_from_frame
from orchestration.lib.optimisation import tables
from orchestration.lib.optimisation.scenarios import specs_from_config
from orchestration.lib.sql import quote_identifier
from orchestration.lib.warehouse import replace_table

CURVE_DRAWS = dg.AssetKey(["incrementality", "mmm_curve_draws"])
SPEND_DAILY = dg.AssetKey(["marts", "fct_marketing_spend_daily"])
CONVERSIONS = dg.AssetKey(["marts", "fct_conversions"])
SCENARIOS = dg.AssetKey([tables.SCHEMA, tables.SCENARIOS_TABLE])
SUMMARY = dg.AssetKey([tables.SCHEMA, tables.SUMMARY_TABLE])

EFFICIENCY_TARGET = "budget_efficiency_target"
ROI_IMPROVEMENT_TARGET = "roi_improvement_target"
NO_MODEL = "no model fitted"

WINDOW_SPEND_SQL = """
    select channel, cast(sum(spend_rc) as double) as spend_rc
    from marts.fct_marketing_spend_daily
    where spend_date between ? and ?
    group by channel
"""

WINDOW_MARGIN_SQL = """
    select cast(sum(gross_margin_rc) as double) / nullif(cast(sum(revenue_rc) as double), 0)
    from marts.fct_conversions
    where conversion_date between ? and ?
"""


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(found and found[0])


def read_curve_draws(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The current fit's rows of ``incrementality.mmm_curve_draws`` (empty when no fit exists)."""
    if not _table_exists(connection, "incrementality", "mmm_curve_draws"):
        return pd.DataFrame(columns=list(CURVE_DRAW_COLUMNS))
    columns = ", ".join(quote_identifier(column) for column in CURVE_DRAW_COLUMNS)
    return connection.execute(f"select {columns} from incrementality.mmm_curve_draws").df()  # noqa: S608


def as_of_date(connection: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The config's as-of day, or the latest spend day in the data."""
    configured = settings.config().periods.as_of_date
    if configured is not None:
        return configured
    latest = connection.execute("select max(spend_date) from marts.fct_marketing_spend_daily").fetchone()
    return None if latest is None or latest[0] is None else latest[0]


def read_inputs(
    connection: duckdb.DuckDBPyConnection, windows: Sequence[tuple[dt.date, dt.date]], as_of: dt.date
) -> tables.OptimiserInputs:
    spend: dict[tuple[dt.date, dt.date], dict[str, float]] = {}
    margin: dict[tuple[dt.date, dt.date], float] = {}
    for start, end in windows:
        rows = connection.execute(WINDOW_SPEND_SQL, [start, end]).fetchall()
        spend[(start, end)] = {str(channel): float(value or 0.0) for channel, value in rows}
        ratio = connection.execute(WINDOW_MARGIN_SQL, [start, end]).fetchone()
        margin[(start, end)] = float(ratio[0]) if ratio and ratio[0] is not None else 0.0
    return tables.OptimiserInputs(as_of=as_of, spend_by_window=spend, margin_ratio_by_window=margin)


def target_outcome(name: str, column: str, summary: pd.DataFrame, target: float, status: str) -> checks.CheckOutcome:
    """The best optimised scenario's ``column`` against ``target``: a business target (WARN, never blocking,
    alerted as ``target_missed`` when missed); "not measurable" without an optimised scenario."""
    optimised = summary.loc[summary["status"] == "optimised"] if not summary.empty else summary
    values = optimised[["scenario", column]].dropna() if not optimised.empty else pd.DataFrame()
    if values.empty:
        return checks.not_measurable(name, status, threshold=target, details={"target": target})
    best = values.loc[values[column].astype(float).idxmax()]
    value = float(best[column])
    per_scenario = {str(row.scenario): round(float(getattr(row, column)), 6) for row in values.itertuples()}
    return checks.target(
        name,
        value=value,
        threshold=target,
        met=value >= target,
        description=(
            f"best scenario {best['scenario']}: {column} {value:+.1%} "
            f"{'reaches' if value >= target else 'falls short of'} the target {target:+.0%}"
        ),
        details={"target": target, "best_scenario": str(best["scenario"]), "scenarios": per_scenario},
    )


@dg.multi_asset(
    name="budget_scenarios",
    group_name="incrementality",
    specs=[
        dg.AssetSpec(
            SCENARIOS,
            deps=[CURVE_DRAWS, SPEND_DAILY, CONVERSIONS],
            kinds={"duckdb", "python"},
            description="Budget scenarios x channel: today's and the recommended spend over the window, bounds, "
            "expected incremental revenue and margin (posterior mean and interval), ROI, marginal ROI, "
            "extrapolation flag. Published as marts.fct_budget_scenarios.",
        ),
        dg.AssetSpec(
            SUMMARY,
            deps=[CURVE_DRAWS, SPEND_DAILY, CONVERSIONS],
            kinds={"duckdb", "python"},
            description="One row per budget scenario: totals, expected uplift with interval, probability of "
            "improvement, budget-efficiency gain and ROI improvement. Published as "
            "marts.fct_budget_scenario_summary.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            EFFICIENCY_TARGET,
            asset=SUMMARY,
            description="The best scenario's budget-efficiency gain (expected incremental revenue per unit of "
            "spend, recommended vs today) reaches optimisation.efficiency_target (the seed's 40 %). WARN.",
        ),
        dg.AssetCheckSpec(
            ROI_IMPROVEMENT_TARGET,
            asset=SUMMARY,
            description="The best scenario's ROI improvement (relative change of (margin - spend) / spend) "
            "reaches optimisation.roi_improvement_target (the seed's 25 %). WARN.",
        ),
    ],
)
def budget_scenarios(context: dg.AssetExecutionContext, warehouse: Warehouse) -> Iterator[Any]:
    """Optimise every configured scenario over the current fit's curves and evaluate it over every draw."""
    config = settings.config().optimisation
    specs = specs_from_config(config)
    started = time.perf_counter()
    with warehouse.connect(read_only=True) as connection:
        draws = read_curve_draws(connection)
        as_of = as_of_date(connection)
        inputs = None
        if not draws.empty and as_of is not None:
            inputs = read_inputs(connection, tables.windows_needed(specs, as_of), as_of)
    if draws.empty or inputs is None:
        status = NO_MODEL if draws.empty else "no spend in the warehouse"
        context.log.warning(f"budget scenarios: {status}; writing empty tables")
        scenarios = tables.empty_frame(tables.SCENARIO_COLUMNS)
        summary = tables.empty_frame(tables.SUMMARY_COLUMNS)
        fit_id = None
    else:
        curves = curves_from_frame(draws)
        fit_id = str(draws["fit_id"].iloc[0])
        results = tables.run_all(specs, curves, inputs, config.interval_level, config.random_seed)
        scenarios, summary = tables.result_frames(
            results, fit_id, config.interval_level, config.efficiency_target, config.roi_improvement_target
        )
        status = f"{sum(result.status == 'optimised' for result in results)} of {len(results)} scenarios optimised"
    seconds = time.perf_counter() - started
    outcomes = [
        target_outcome(EFFICIENCY_TARGET, "budget_efficiency_gain_pct", summary, config.efficiency_target, status),
        target_outcome(ROI_IMPROVEMENT_TARGET, "roi_improvement_pct", summary, config.roi_improvement_target, status),
    ]
    with warehouse.connect() as connection:
        replace_table(connection, tables.SCHEMA, tables.SCENARIOS_TABLE, tables.SCENARIO_COLUMNS, scenarios)
        replace_table(connection, tables.SCHEMA, tables.SUMMARY_TABLE, tables.SUMMARY_COLUMNS, summary)
        checks.record(connection, outcomes, SUMMARY, context.run_id)
    yield dg.MaterializeResult(
        asset_key=SCENARIOS,
        metadata={"status": status, "fit_id": fit_id or "", "dagster/row_count": len(scenarios), "seconds": seconds},
    )
    preview = [
        f"| {row.scenario} | {row.status} | {row.net_uplift_rc or 0:,.0f} | {row.probability_of_improvement or 0:.0%} |"
        for row in summary.itertuples()
    ]
    yield dg.MaterializeResult(
        asset_key=SUMMARY,
        metadata={
            "status": status,
            "fit_id": fit_id or "",
            "dagster/row_count": len(summary),
            "scenarios": dg.MetadataValue.md(
                "\n".join(
                    ["| scenario | status | net uplift | P(improvement) |", "| --- | --- | --- | --- |", *preview]
                )
                if preview
                else status
            ),
        },
    )
    for outcome in outcomes:
        yield checks.to_asset_check_result(outcome, SUMMARY)
