"""Data quality: Great Expectations suites on the marts, run as asset checks."""

import dagster as dg

from orchestration.defs.quality.checks import gx_marketing_spend_daily
from orchestration.lib import gx


def defs() -> dg.Definitions:
    gx.import_in_background()
    return dg.Definitions(asset_checks=[gx_marketing_spend_daily])
