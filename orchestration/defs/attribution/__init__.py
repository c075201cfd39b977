"""Attribution and ROI: the dbt models live in dbt_project/models/*/attribution (group ``attribution``); the
Markov/Shapley solve, the Markov credit fit and the ROI bootstrap are Dagster assets on aggregates
(``assets.py``) whose tables dbt reads as source ``attribution``, and the models over them are their own dbt
invocations (``marts.py``). This domain also adds the business-rule checks (ROI calculation accuracy,
conversions handed out, the ROI mart's GX suite)."""

import dagster as dg

from orchestration.defs.attribution.assets import channel_weights, markov_credits, roi_bootstrap_intervals
from orchestration.defs.attribution.checks import attribution_checks
from orchestration.defs.attribution.marts import dbt_attribution_credit_models, dbt_attribution_roi_models, mart_keys

__all__ = ["defs", "mart_keys"]


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            channel_weights,
            markov_credits,
            roi_bootstrap_intervals,
            dbt_attribution_credit_models,
            dbt_attribution_roi_models,
        ],
        asset_checks=[attribution_checks],
    )
