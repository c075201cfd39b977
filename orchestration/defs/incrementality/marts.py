"""The incrementality marts (dbt ``models/marts/incrementality``) as their own dbt invocation.

They read the tables the marketing-mix model writes, and the model reads marts of the main dbt
build, so they cannot be part of that invocation: the run goes main dbt build -> model -> these.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.assets import CODE_TESTS, INCREMENTALITY_MODELS, build_selected, dbt_project, translator


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=INCREMENTALITY_MODELS,
    exclude=CODE_TESTS,
    name="dbt_incrementality_models",
)
def dbt_incrementality_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) the incrementality staging views and marts."""
    yield from build_selected(context, dbt)
