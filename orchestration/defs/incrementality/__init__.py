"""Incrementality: the marketing-mix model (fit cached by input hash, refit weekly) and its tables.

The dbt marts over those tables (``models/marts/incrementality``) are views in the main dbt build.
"""

import dagster as dg

from orchestration.defs.incrementality.assets import TABLES, marketing_mix_model
from orchestration.defs.incrementality.automation import mmm_refit_job, mmm_weekly_refit


def table_keys() -> list[dg.AssetKey]:
    """The tables the model writes: the published snapshot waits for them."""
    return list(TABLES)


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[marketing_mix_model], jobs=[mmm_refit_job], schedules=[mmm_weekly_refit])
