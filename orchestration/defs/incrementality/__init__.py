"""Incrementality: the marketing-mix model (fit cached by input hash, refit weekly) and its tables."""

import dagster as dg

from orchestration.defs.incrementality.assets import marketing_mix_model
from orchestration.defs.incrementality.automation import mmm_refit_job, mmm_weekly_refit
from orchestration.defs.incrementality.marts import dbt_incrementality_models


def mart_keys() -> list[dg.AssetKey]:
    """The asset keys of the incrementality marts (the published snapshot waits for them)."""
    return sorted((key for key in dbt_incrementality_models.keys if key.path[0] == "marts"), key=lambda key: key.path)


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[marketing_mix_model, dbt_incrementality_models], jobs=[mmm_refit_job], schedules=[mmm_weekly_refit]
    )
