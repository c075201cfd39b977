"""Spend plausibility: a spend day far outside its campaign's own history, named, never silently loaded.

``audit.spend_anomalies`` (dbt) scores every campaign day against the campaign's trailing days (robust
score over the median and MAD, ``plausibility`` in ``config/roi.yml``) and lists those above the threshold.
``spend_plausibility`` reports them as a warning (kind ``plausibility``, status ``flagged``): the days are
loaded and counted, the snapshot is published, the run summary lists the check with the largest days, and
the ``spend_anomaly`` alert names each campaign-month. It is not a data-integrity failure: a spike may be
real (a launch), and only the people who own the campaign can tell.
"""

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib import checks, settings
from orchestration.lib.formatting import money_short
from orchestration.lib.marts import SpendAnomaly, spend_anomalies

SPEND_ANOMALIES = dg.AssetKey(["audit", "spend_anomalies"])
SPEND_PLAUSIBILITY = "spend_plausibility"
# Campaign-months named in the description (all of them are in the audit table and the metadata count).
NAMED_IN_DESCRIPTION = 3


def plausibility_outcome(flagged: list[SpendAnomaly], days: int, max_score: float) -> checks.CheckOutcome:
    """The check's verdict on the flagged campaign-months (largest score first) and flagged days in all."""
    if not flagged:
        return checks.plausibility(
            SPEND_PLAUSIBILITY,
            value=0,
            threshold=0,
            plausible=True,
            description=f"no spend day scores above {max_score:g} against its campaign's trailing days",
            details={"max_robust_score": max_score},
        )
    named = "; ".join(
        f"{item.platform} campaign {item.campaign_id} on {item.spend_date}: "
        f"{money_short(item.spend, item.currency)} against a usual {money_short(item.median_spend, item.currency)} "
        f"(score {item.robust_score:,.0f})"
        for item in flagged[:NAMED_IN_DESCRIPTION]
    )
    more = len(flagged) - NAMED_IN_DESCRIPTION
    return checks.plausibility(
        SPEND_PLAUSIBILITY,
        value=days,
        threshold=0,
        plausible=False,
        description=(
            f"{days} spend day(s) in {len(flagged)} campaign-month(s) far outside the campaign's own history "
            f"(robust score above {max_score:g}), loaded and counted: {named}"
            + (f"; and {more} more campaign-month(s)" if more > 0 else "")
            + ". See audit.spend_anomalies; if a file is wrong, land a corrected one (it restates the day)."
        ),
        details={
            "max_robust_score": max_score,
            "campaign_months": len(flagged),
            "largest": [
                {
                    "spend_date": item.spend_date,
                    "platform": item.platform,
                    "campaign_id": item.campaign_id,
                    "spend": item.spend,
                    "currency": item.currency,
                    "median_spend": item.median_spend,
                    "robust_score": item.robust_score,
                    "source_file": item.source_file,
                }
                for item in flagged[:10]
            ],
        },
    )


@dg.asset_check(
    asset=SPEND_ANOMALIES,
    name=SPEND_PLAUSIBILITY,
    blocking=False,
    description=(
        "Spend days far outside their campaign's trailing history (robust score over plausibility.history_days, "
        "above plausibility.max_robust_score): a warning, never a block; listed in audit.spend_anomalies."
    ),
)
def spend_plausibility(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as connection:
        flagged = spend_anomalies(connection)
        (days,) = connection.execute("select count(*) from audit.spend_anomalies").fetchone() or (0,)
    outcome = plausibility_outcome(flagged, int(days), settings.config().plausibility.max_robust_score)
    with warehouse.connect() as connection:
        checks.record(connection, [outcome], SPEND_ANOMALIES, context.op_execution_context.run_id)
    return checks.to_asset_check_result(outcome, SPEND_ANOMALIES)
