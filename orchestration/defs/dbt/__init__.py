"""Transformations: the dbt project (staging -> intermediate -> marts)."""

import dagster as dg

from orchestration.defs.dbt.assets import dbt_models, dbt_resource


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[dbt_models], resources={"dbt": dbt_resource})
