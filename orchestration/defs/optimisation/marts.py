"""The budget-scenario marts (dbt ``models/*/optimisation``) as their own dbt invocation.

They read the tables the optimiser writes, and the optimiser reads marts of the main dbt build, so
they cannot be part of that invocation (Dagster would split it around the optimiser, and tests that
span its parts would run twice): the run goes main dbt build -> optimiser -> these.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.assets import CODE_TESTS, OPTIMISATION_MODELS, build_selected, dbt_project, translator


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=OPTIMISATION_MODELS,
    exclude=CODE_TESTS,
    name="dbt_optimisation_models",
)
def dbt_optimisation_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) the budget-scenario staging views and marts."""
    yield from build_selected(context, dbt)


def mart_keys() -> list[dg.AssetKey]:
    """The budget-scenario marts (the published snapshot waits for them)."""
    return sorted((key for key in dbt_optimisation_models.keys if key.path[0] == "marts"), key=lambda key: key.path)
