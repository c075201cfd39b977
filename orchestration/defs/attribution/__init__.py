"""Attribution and ROI: the dbt models live in dbt_project/models/*/attribution (group ``attribution``,
the Markov/Shapley solve and the ROI bootstrap as dbt Python models); this domain adds their
business-rule checks (ROI calculation accuracy, conversions handed out, the ROI mart's GX suite)."""

import dagster as dg

from orchestration.defs.attribution.checks import attribution_checks


def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=[attribution_checks])
