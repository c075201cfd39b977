"""Attribution and ROI checks, as one Dagster multi-asset check step (results kept in ``audit.dq_results``).

- ``roi_calculation_accuracy`` on ``marts/fct_roi_by_channel`` and ``marts/fct_roi_by_campaign``: ROI,
  ROAS, CAC, spend, conversions, revenue and margin recomputed from the base facts
  (``fct_marketing_spend_daily``, ``fct_conversions``, ``fct_attribution_credits``): the credits added up
  per group by one aggregate query (``ATTRIBUTED_SQL``), the rest in pandas (``lib/attribution.py:
  roi_from_attributed``), sharing no code with the marts' SQL, must agree row by row
  within ``attribution.roi_agreement_tolerance``. The value is the share of (model, channel or campaign,
  month) rows that agree; the target is every row. A business target: a miss warns (its details say
  whether the share is also below ``attribution.roi_accuracy_floor``, the product's stated ROI accuracy,
  85 %), is reported and alerted, and never holds the snapshot back; with no row to compare it is
  "not measurable".
- ``conversions_handed_out`` on ``marts/fct_channel_attribution``: every one of the seven models hands
  out exactly one conversion of credit per conversion (attributed + unattributed = conversions), in the
  touch-level fact and in the mart. Blocking.
- ``gx_fct_roi_by_channel``: the mart's row rules as a Great Expectations suite. Blocking.

The three read the same tables, so they share one step; each runs only when its check is selected.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.defs.resources import Warehouse
from orchestration.lib import attribution, checks, gx, settings

ROI_BY_CHANNEL = dg.AssetKey(["marts", "fct_roi_by_channel"])
ROI_BY_CAMPAIGN = dg.AssetKey(["marts", "fct_roi_by_campaign"])
CHANNEL_ATTRIBUTION = dg.AssetKey(["marts", "fct_channel_attribution"])

ROI_CALCULATION_ACCURACY = "roi_calculation_accuracy"
CONVERSIONS_HANDED_OUT = "conversions_handed_out"
GX_ROI_BY_CHANNEL = "gx_fct_roi_by_channel"

# Floating-point sums of up to millions of credits: a model that hands out exactly one conversion of
# credit per conversion is within this of the conversion count.
CREDIT_TOTAL_TOLERANCE = 1e-6
# Each conversion's credits sum to 1 within this (as the dbt tests on the credit models require).
CONVERSION_CREDIT_TOLERANCE = 1e-9
# Disagreeing rows listed in a check's metadata.
LISTED_PROBLEMS = 10

ROI_GRAINS = {
    ROI_BY_CHANNEL: ("marts.fct_roi_by_channel", ["channel"]),
    ROI_BY_CAMPAIGN: ("marts.fct_roi_by_campaign", ["platform", "campaign_id"]),
}

ROI_MART_SQL = """
    select attribution_model, {keys}, period,
        cast(spend_rc as double) as spend_rc,
        conversions,
        cast(attributed_revenue_rc as double) as attributed_revenue_rc,
        cast(attributed_margin_rc as double) as attributed_margin_rc,
        roas, roi, cac
    from {relation}
"""

SPEND_SQL = """
    select spend_date, channel, platform, campaign_id, cast(spend_rc as double) as spend_rc
    from marts.fct_marketing_spend_daily
"""

CONVERSION_COUNT_SQL = "select count(*) from marts.fct_conversions"

CREDITED_MODELS_SQL = "select distinct attribution_model from marts.fct_attribution_credits order by 1"

# The credit side of the recomputation (lib/attribution.py: attributed_by_group, in one query): each credit
# takes its conversion's revenue and margin times the credit, in the month the conversion converted (UTC: the
# check's connection is in UTC). Rows with a null key belong to no group. A credit naming an unknown conversion
# is counted, not dropped, and stops the check.
ATTRIBUTED_SQL = """
    select
        credits.attribution_model, {keys},
        strftime(conversions.converted_at, '%Y-%m') as period,
        sum(credits.credit) as conversions,
        sum(credits.credit * cast(conversions.revenue_rc as double)) as attributed_revenue_rc,
        sum(credits.credit * cast(conversions.gross_margin_rc as double)) as attributed_margin_rc,
        count(*) filter (where conversions.conversion_id is null) as orphan_credits
    from marts.fct_attribution_credits as credits
    left join marts.fct_conversions as conversions on credits.conversion_id = conversions.conversion_id
    where {keys_present}
    group by all
"""

CREDIT_TOTALS_SQL = """
    with

    per_conversion as (
        select attribution_model, conversion_id, sum(credit) as credit
        from marts.fct_attribution_credits
        group by attribution_model, conversion_id
    ),

    unattributed as (
        select attribution_model, sum(credit) as credit
        from marts.fct_attribution_credits
        where channel = 'unattributed'
        group by attribution_model
    ),

    mart_totals as (
        select attribution_model, sum(conversions) as conversions
        from marts.fct_channel_attribution
        group by attribution_model
    ),

    models as (
        select attribution_model from reference.attribution_models
    )

    select
        models.attribution_model,
        count(per_conversion.conversion_id) as conversions_credited,
        coalesce(sum(per_conversion.credit), 0) as credit_total,
        coalesce(max(abs(per_conversion.credit - 1)), 0) as worst_conversion_deviation,
        coalesce(any_value(unattributed.credit), 0) as unattributed_credit,
        coalesce(any_value(mart_totals.conversions), 0) as mart_conversions
    from models
    left join per_conversion on models.attribution_model = per_conversion.attribution_model
    left join unattributed on models.attribution_model = unattributed.attribution_model
    left join mart_totals on models.attribution_model = mart_totals.attribution_model
    group by models.attribution_model
    order by models.attribution_model
"""

GX_ROI_BY_CHANNEL_SQL = """
    select attribution_model, channel, period, has_spend,
        cast(spend_rc as double) as spend_rc,
        conversions, roas, roi, roi_ci_low, roi_ci_high, cac,
        roi - roi_ci_low as roi_above_ci_low,
        roi_ci_high - roi as roi_below_ci_high,
        not has_spend and (roi is not null or roas is not null or cac is not null or roi_ci_low is not null)
            as has_ratio_without_spend
    from marts.fct_roi_by_channel
"""


def attributed(connection: duckdb.DuckDBPyConnection, keys: list[str]) -> pd.DataFrame:
    """Credited conversions, revenue and margin per (model, ``keys``, month), added up in DuckDB."""
    frame = connection.execute(
        ATTRIBUTED_SQL.format(
            keys=", ".join(f"credits.{key}" for key in keys),
            keys_present=" and ".join(f"credits.{key} is not null" for key in keys),
        )
    ).df()
    orphans = int(frame.pop("orphan_credits").sum())
    if orphans:
        raise ValueError(f"{orphans} credit row(s) name a conversion missing from conversions")
    return frame


def roi_accuracy_outcome(
    mart: pd.DataFrame,
    recomputed: pd.DataFrame,
    *,
    keys: list[str],
    tolerance: float,
    floor: float,
) -> checks.CheckOutcome:
    """The accuracy target's verdict: the share of agreeing rows (target: every row), or not measurable."""
    compared = attribution.compare_roi(
        mart, recomputed, keys=["attribution_model", *keys, "period"], tolerance=tolerance
    )
    rows = len(compared)
    if rows == 0:
        return checks.not_measurable(
            ROI_CALCULATION_ACCURACY,
            f"no (model, {'/'.join(keys)}, month) row to compare",
            threshold=floor,
            details={"rows_compared": 0, "target": 1.0, "tolerance": tolerance},
        )
    agreeing = int(compared["agrees"].sum())
    share = agreeing / rows
    disagreeing = compared.loc[~compared["agrees"]].head(LISTED_PROBLEMS)
    return checks.target(
        ROI_CALCULATION_ACCURACY,
        value=share,
        threshold=floor,
        met=agreeing == rows,
        description=(
            f"{agreeing:,} of {rows:,} (model, {'/'.join(keys)}, month) rows ({share:.2%}) agree with ROI "
            f"recomputed from the base facts within {tolerance:g} (target 100 %, floor {floor:.0%})"
        ),
        details={
            "rows_compared": rows,
            "rows_agreeing": agreeing,
            "below_floor": share < floor,
            "target": 1.0,
            "tolerance": tolerance,
            "disagreeing_rows": disagreeing.astype(object).where(disagreeing.notna(), None).to_dict("records"),
        },
    )


def conversions_outcome(totals: pd.DataFrame, conversions: int, expected_models: int) -> checks.CheckOutcome:
    """Every model hands out one conversion of credit per conversion, in the fact and in the mart."""
    deviation = max(
        float((totals["credit_total"] - conversions).abs().max()),
        float((totals["mart_conversions"] - conversions).abs().max()),
    )
    every_conversion_once = bool((totals["conversions_credited"] == conversions).all())
    each_sums_to_one = bool((totals["worst_conversion_deviation"] <= CONVERSION_CREDIT_TOLERANCE).all())
    passed = (
        len(totals) == expected_models
        and every_conversion_once
        and each_sums_to_one
        and deviation <= CREDIT_TOTAL_TOLERANCE
    )
    per_model = {
        row.attribution_model: {
            "credited": round(float(row.credit_total), 9),
            "attributed": round(float(row.credit_total - row.unattributed_credit), 9),
            "unattributed": round(float(row.unattributed_credit), 9),
            "in_fct_channel_attribution": round(float(row.mart_conversions), 9),
            "conversions_with_credit": int(row.conversions_credited),
        }
        for row in totals.itertuples()
    }
    return checks.CheckOutcome(
        name=CONVERSIONS_HANDED_OUT,
        passed=passed,
        value=deviation,
        threshold=CREDIT_TOTAL_TOLERANCE,
        description=(
            f"{len(totals)} models x {conversions:,} conversions: attributed + unattributed credit = conversions "
            f"in every model (largest |difference| {deviation:.2e}); each conversion credited once per model, "
            f"its credits summing to 1"
            if passed
            else f"credit totals do not match the {conversions:,} conversions (largest |difference| {deviation:.2e}, "
            f"every conversion credited once: {every_conversion_once}, each sums to 1: {each_sums_to_one})"
        ),
        details={"conversions": conversions, "models": per_model},
    )


def _gx_roi_by_channel_outcome(connection: duckdb.DuckDBPyConnection) -> checks.CheckOutcome:
    from orchestration.defs.quality.suites import roi_by_channel_suite  # GX is slow to import: only here

    models = [
        row[0] for row in connection.execute("select attribution_model from reference.attribution_models").fetchall()
    ]
    frame = connection.execute(GX_ROI_BY_CHANNEL_SQL).df()
    validation = gx.validate_frame(roi_by_channel_suite(sorted(models)), frame, ROI_BY_CHANNEL.path[-1])
    return gx.to_outcome(GX_ROI_BY_CHANNEL, validation)


@dg.multi_asset_check(
    name="attribution_checks",
    specs=[
        dg.AssetCheckSpec(
            ROI_CALCULATION_ACCURACY,
            asset=ROI_BY_CHANNEL,
            blocking=False,
            description="Business target (a miss warns, never blocks) - ROI, ROAS, CAC, spend and attributed "
            "figures recomputed from the base facts in pandas "
            "agree with the mart row by row (share of agreeing rows; target 100 %, the floor "
            "attribution.roi_accuracy_floor in its details).",
        ),
        dg.AssetCheckSpec(
            ROI_CALCULATION_ACCURACY,
            asset=ROI_BY_CAMPAIGN,
            blocking=False,
            description="The same recomputation for the campaign-level ROI mart.",
        ),
        dg.AssetCheckSpec(
            CONVERSIONS_HANDED_OUT,
            asset=CHANNEL_ATTRIBUTION,
            description="Every model hands out exactly the conversions: attributed + unattributed credit = "
            "conversions, per model, in fct_attribution_credits and in fct_channel_attribution.",
        ),
        dg.AssetCheckSpec(
            GX_ROI_BY_CHANNEL,
            asset=ROI_BY_CHANNEL,
            description="GX suite: grain, known models, conversions/spend/ROAS/CAC >= 0, "
            "roi_ci_low <= roi <= roi_ci_high, no ratio without spend.",
        ),
    ],
    # A spend-only run (lib/spend_only.py) checks the ROI marts it rebuilds, not the channel credits it left.
    can_subset=True,
)
def attribution_checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> Iterator[Any]:
    config = settings.config().attribution
    selected = context.op_execution_context.selected_asset_check_keys
    outcomes: list[tuple[dg.AssetKey, checks.CheckOutcome]] = []
    # A spend-only run selects the ROI marts' checks only: the credit totals (three scans of the credit fact)
    # are not read then.
    with warehouse.connect(read_only=True) as connection:
        spend = connection.execute(SPEND_SQL).df()
        models = [row[0] for row in connection.execute(CREDITED_MODELS_SQL).fetchall()]
        for asset_key, (relation, keys) in ROI_GRAINS.items():
            if dg.AssetCheckKey(asset_key, ROI_CALCULATION_ACCURACY) not in selected:
                continue
            mart = connection.execute(ROI_MART_SQL.format(keys=", ".join(keys), relation=relation)).df()
            recomputed = attribution.roi_from_attributed(spend, attributed(connection, keys), models, by=keys)
            outcome = roi_accuracy_outcome(
                mart,
                recomputed,
                keys=keys,
                tolerance=config.roi_agreement_tolerance,
                floor=config.roi_accuracy_floor,
            )
            outcomes.append((asset_key, outcome))
        if dg.AssetCheckKey(CHANNEL_ATTRIBUTION, CONVERSIONS_HANDED_OUT) in selected:
            totals = connection.execute(CREDIT_TOTALS_SQL).df()
            conversions = connection.execute(CONVERSION_COUNT_SQL).fetchall()[0][0]
            expected_models = connection.execute("select count(*) from reference.attribution_models").fetchall()
            outcomes.append((CHANNEL_ATTRIBUTION, conversions_outcome(totals, conversions, expected_models[0][0])))
        if dg.AssetCheckKey(ROI_BY_CHANNEL, GX_ROI_BY_CHANNEL) in selected:
            outcomes.append((ROI_BY_CHANNEL, _gx_roi_by_channel_outcome(connection)))
    run_id = context.op_execution_context.run_id
    with warehouse.connect() as connection:
        for asset_key, outcome in outcomes:
            checks.record(connection, [outcome], asset_key, run_id)
    for asset_key, outcome in outcomes:
        yield checks.to_asset_check_result(outcome, asset_key)
