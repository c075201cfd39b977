"""Data quality: Great Expectations suites on the marts, run as asset checks."""

import dagster as dg

from orchestration.defs.quality.checks import gx_marketing_spend_daily


def defs() -> dg.Definitions:
    return dg.Definitions(asset_checks=[gx_marketing_spend_daily])
