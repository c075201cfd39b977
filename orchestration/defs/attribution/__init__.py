"""Attribution and ROI: the dbt models live in dbt_project/models/*/attribution (group ``attribution``); the
Markov/Shapley solve, the Markov credit fit and the ROI bootstrap are Dagster assets on aggregates
(``assets.py``) whose tables dbt reads as source ``attribution``; the models over them are built in the run's
second dbt invocation, with the budget-scenario marts (``defs/dbt/solver_models.py``). This domain also adds
the business-rule checks (ROI calculation accuracy, conversions handed out, the ROI mart's GX suite)."""

import dagster as dg

from orchestration.defs.attribution.assets import (
    channel_weights,
    markov_credits,
    roi_bootstrap_draws,
    roi_bootstrap_intervals,
)
from orchestration.defs.attribution.checks import attribution_checks
from orchestration.defs.attribution.marts import mart_keys

__all__ = ["defs", "mart_keys"]


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            channel_weights,
            markov_credits,
            roi_bootstrap_draws,
            roi_bootstrap_intervals,
        ],
        asset_checks=[attribution_checks],
    )
