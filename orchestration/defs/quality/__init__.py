"""Data quality: Great Expectations suites on the marts, and spend plausibility, run as asset checks."""

import dagster as dg

from orchestration.defs.quality.checks import gx_marketing_spend_daily
from orchestration.defs.quality.plausibility import spend_plausibility
from orchestration.lib import gx


def defs() -> dg.Definitions:
    gx.import_in_background()
    return dg.Definitions(asset_checks=[gx_marketing_spend_daily, spend_plausibility])
