"""Transformations: the dbt project (staging -> intermediate -> marts)."""

import dagster as dg

from orchestration.defs.dbt.assets import dbt_models, dbt_resource
from orchestration.defs.dbt.solver_models import dbt_solver_models


def mart_keys() -> list[dg.AssetKey]:
    """The asset keys of the dbt models in the ``marts`` schema."""
    return sorted((key for key in dbt_models.keys if key.path[0] == "marts"), key=lambda key: key.path)


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[dbt_models, dbt_solver_models], resources={"dbt": dbt_resource})
