"""The attribution solvers as Dagster assets (group ``attribution``), outside dbt.

The Markov/Shapley weights, the conversion-level Markov credit fit and the ROI bootstrap are numpy and
scipy work on small aggregates. They used to be dbt Python models, which only dbt-duckdb runs in
process (dbt-spark runs Python models only through Databricks): as assets they leave the dbt project
plain SQL, buildable on any adapter. Each reads the aggregates it needs with SQL (distinct paths and
channel sets, conversion x channel rows, per-group contributions: dbt models of the main build),
solves them with ``orchestration/lib/attribution.py`` and replaces its table in schema
``attribution``, which dbt reads as a source (``models/staging/attribution``). Everything they read is
built by the run's first dbt invocation, the bootstrap's contributions included: they are built before the
Markov fit, and the bootstrap applies the fitted credits as it reads them (``ROI_CONTRIBUTIONS_SQL``). The
dbt models over the solvers' tables are built in the run's second dbt invocation, with the budget-scenario
marts (``defs/dbt/solver_models.py``):

    main dbt build -> channel_weights -> markov_credits -> roi_bootstrap_draws -> roi_bootstrap_intervals
        -> second dbt build

Inputs are read in a fixed order, as the dbt Python models did: the solves add floating-point numbers,
and the same inputs in another order could differ in the last bits, making two builds disagree.
"""

from collections.abc import Mapping

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.resources import Warehouse
from orchestration.lib import attribution
from orchestration.lib.settings import dbt_vars
from orchestration.lib.warehouse import replace_table as replace_warehouse_table

SCHEMA = "attribution"
GROUP = "attribution"

CHANNEL_WEIGHTS = dg.AssetKey([SCHEMA, "channel_weights"])
MARKOV_CREDITS = dg.AssetKey([SCHEMA, "markov_credits"])
ROI_BOOTSTRAP_DRAWS = dg.AssetKey([SCHEMA, "roi_bootstrap_draws"])
ROI_BOOTSTRAP_INTERVALS = dg.AssetKey([SCHEMA, "roi_bootstrap_intervals"])

PATHS = dg.AssetKey(["intermediate", "int_attribution_paths"])
CHANNEL_SETS = dg.AssetKey(["intermediate", "int_attribution_channel_sets"])
CONVERSION_CHANNELS = dg.AssetKey(["intermediate", "int_attribution_conversion_channels"])
ROI_GROUPS = dg.AssetKey(["intermediate", "int_roi_groups"])
ROI_BOOTSTRAP_GROUPS = dg.AssetKey(["intermediate", "int_roi_bootstrap_groups"])
ROI_CONTRIBUTIONS = dg.AssetKey(["intermediate", "int_roi_bootstrap_contributions"])

# Column types of each table, as the dbt Python models wrote them (DuckDB types).
COLUMNS: dict[dg.AssetKey, dict[str, str]] = {
    CHANNEL_WEIGHTS: {
        "attribution_model": "varchar",
        "channel": "varchar",
        **{column: "double" for column in attribution.CHANNEL_WEIGHT_COLUMNS[2:]},
    },
    MARKOV_CREDITS: {
        "conversion_id": "varchar",
        "channel": "varchar",
        "credit": "double",
        "fit_iterations": "bigint",
        "fit_max_gap": "double",
        "is_fit_converged": "boolean",
        "is_revenue_fitted": "boolean",
    },
    ROI_BOOTSTRAP_DRAWS: {
        "roi_grain": "varchar",
        "attribution_model": "varchar",
        "channel": "varchar",
        "platform": "varchar",
        "campaign_id": "varchar",
        "period": "varchar",
        **{column: "double" for column in attribution.DRAW_QUANTILE_COLUMNS},
        "bootstrap_resamples": "bigint",
        "confidence_level": "double",
    },
    ROI_BOOTSTRAP_INTERVALS: {
        "roi_grain": "varchar",
        "attribution_model": "varchar",
        "channel": "varchar",
        "platform": "varchar",
        "campaign_id": "varchar",
        "period": "varchar",
        "roi_ci_low": "double",
        "roi_ci_high": "double",
        "roas_ci_low": "double",
        "roas_ci_high": "double",
        "bootstrap_resamples": "bigint",
        "confidence_level": "double",
    },
}

PATHS_SQL = "select * from intermediate.int_attribution_paths order by channel_path"
CHANNEL_SETS_SQL = "select * from intermediate.int_attribution_channel_sets order by channel_set"
CONVERSION_CHANNELS_SQL = (
    "select * from intermediate.int_attribution_conversion_channels order by conversion_id, channel"
)
WEIGHTS_SQL = "select * from attribution.channel_weights order by attribution_model, channel"
ROI_GROUPS_SQL = "select * from intermediate.int_roi_groups"
ROI_BOOTSTRAP_GROUPS_SQL = "select * from intermediate.int_roi_bootstrap_groups"
ROI_BOOTSTRAP_DRAWS_SQL = "select * from attribution.roi_bootstrap_draws"
# The bootstrap's contributions with the Markov rows' fitted credit applied: a markov row of
# int_roi_bootstrap_contributions names the conversion and channel whose fitted credit it takes and how many
# of that channel's touches are in the group. Its credit is what fct_attribution_credits adds up for the
# group, to the bit: the touches' credit (fitted credit / the channel's touches) as exact decimals, times
# the group's touches, added over the group's channels; a credit of 0 gives no row, as there.
ROI_CONTRIBUTIONS_SQL = """
with

contributions as (
    select * from intermediate.int_roi_bootstrap_contributions
),

markov_credits as (
    select * from attribution.markov_credits
),

final_contributions as (
    select group_number, period_number, conversion_number, credit, revenue_rc, margin_rc
    from contributions
    where markov_channel is null
),

fitted_contributions as (
    select
        contributions.group_number,
        contributions.period_number,
        contributions.conversion_number,
        cast(
            sum(
                cast(markov_credits.credit / contributions.markov_channel_touch_count as decimal(38, 18))
                * contributions.markov_touch_count
            ) as double
        ) as credit,
        contributions.revenue_rc,
        contributions.margin_rc
    from contributions
    inner join markov_credits
        on
            contributions.markov_conversion_id = markov_credits.conversion_id
            and contributions.markov_channel = markov_credits.channel
    where markov_credits.credit > 0
    group by
        contributions.group_number,
        contributions.period_number,
        contributions.conversion_number,
        contributions.revenue_rc,
        contributions.margin_rc
)

select * from final_contributions
union all
select * from fitted_contributions
"""


def replace_table(connection: duckdb.DuckDBPyConnection, key: dg.AssetKey, frame: pd.DataFrame) -> int:
    """Replace the asset's table with ``frame`` (its declared columns and types) in one transaction."""
    columns = COLUMNS[key]
    schema, table = key.path
    replace_warehouse_table(connection, schema, table, list(columns.items()), frame.reindex(columns=list(columns)))
    return len(frame)


def _materialized(key: dg.AssetKey, rows: int, extra: Mapping[str, object] | None = None) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        asset_key=key,
        metadata={
            "dagster/row_count": rows,
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name=name, type=kind) for name, kind in COLUMNS[key].items()]
            ),
            **(extra or {}),
        },
    )


@dg.asset(
    key=CHANNEL_WEIGHTS,
    deps=[PATHS, CHANNEL_SETS],
    group_name=GROUP,
    kinds={"python", "duckdb"},
    description=(
        "Markov removal effects (first order, second order for comparison, value-weighted) and exact Shapley "
        "values per channel, solved from the distinct channel paths and channel sets "
        "(`lib/attribution.py: channel_weights`)."
    ),
)
def channel_weights(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        paths = connection.execute(PATHS_SQL).df()
        channel_sets = connection.execute(CHANNEL_SETS_SQL).df()
        weights = attribution.channel_weights(paths, channel_sets)
        rows = replace_table(connection, CHANNEL_WEIGHTS, weights)
    return _materialized(CHANNEL_WEIGHTS, rows, {"paths": len(paths), "channel_sets": len(channel_sets)})


@dg.asset(
    key=MARKOV_CREDITS,
    deps=[CONVERSION_CHANNELS, CHANNEL_WEIGHTS],
    group_name=GROUP,
    kinds={"python", "duckdb"},
    description=(
        "Each conversion's Markov credit per distinct channel of its journey, fitted (iterative proportional "
        "fitting) so that channel totals are the removal-effect totals (`lib/attribution.py: "
        "markov_conversion_credits`)."
    ),
)
def markov_credits(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        conversion_channels = connection.execute(CONVERSION_CHANNELS_SQL).df()
        weights = connection.execute(WEIGHTS_SQL).df()
        credits = attribution.markov_conversion_credits(conversion_channels, weights)
        rows = replace_table(connection, MARKOV_CREDITS, credits)
    converged = bool(credits["is_fit_converged"].all()) if rows else True
    return _materialized(MARKOV_CREDITS, rows, {"is_fit_converged": converged})


@dg.asset(
    key=ROI_BOOTSTRAP_DRAWS,
    deps=[ROI_BOOTSTRAP_GROUPS, ROI_CONTRIBUTIONS, MARKOV_CREDITS],
    group_name=GROUP,
    kinds={"python", "duckdb"},
    description=(
        "Bootstrap quantiles of attributed margin and revenue per model x paid channel x month and model x paid "
        "campaign x month: journeys resampled with Poisson(1) weights, seeded (`lib/attribution.py: "
        "roi_draw_quantiles`). Spend plays no part, so a spend-only run keeps them."
    ),
)
def roi_bootstrap_draws(warehouse: Warehouse) -> dg.MaterializeResult:
    variables = dbt_vars()
    resamples = int(variables["bootstrap_resamples"])
    with warehouse.connect() as connection:
        groups = connection.execute(ROI_BOOTSTRAP_GROUPS_SQL).df()
        # numbers only: fetched as numpy arrays, no per-row Python objects
        contributions = pd.DataFrame(connection.execute(ROI_CONTRIBUTIONS_SQL).fetchnumpy())
        draws = attribution.roi_draw_quantiles(
            contributions,
            groups,
            resamples=resamples,
            level=float(variables["bootstrap_confidence_level"]),
            seed=int(variables["bootstrap_random_seed"]),
        )
        rows = replace_table(connection, ROI_BOOTSTRAP_DRAWS, draws)
    return _materialized(ROI_BOOTSTRAP_DRAWS, rows, {"resamples": resamples, "contributions": len(contributions)})


@dg.asset(
    key=ROI_BOOTSTRAP_INTERVALS,
    deps=[ROI_GROUPS, ROI_BOOTSTRAP_DRAWS],
    group_name=GROUP,
    kinds={"python", "duckdb"},
    description=(
        "Bootstrap intervals of ROI and ROAS per model x channel x month and model x campaign x month with spend: "
        "the draws' quantiles of margin and revenue over the group's spend (`lib/attribution.py: "
        "roi_intervals_from_draws`)."
    ),
)
def roi_bootstrap_intervals(warehouse: Warehouse) -> dg.MaterializeResult:
    variables = dbt_vars()
    resamples = int(variables["bootstrap_resamples"])
    with warehouse.connect() as connection:
        groups = connection.execute(ROI_GROUPS_SQL).df()
        draws = connection.execute(ROI_BOOTSTRAP_DRAWS_SQL).df()
        intervals = attribution.roi_intervals_from_draws(
            groups, draws, resamples=resamples, level=float(variables["bootstrap_confidence_level"])
        )
        rows = replace_table(connection, ROI_BOOTSTRAP_INTERVALS, intervals)
    return _materialized(ROI_BOOTSTRAP_INTERVALS, rows, {"resamples": resamples, "groups_with_draws": len(draws)})
