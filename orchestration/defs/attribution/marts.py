"""The dbt models over the attribution solvers' tables, as their own dbt invocations.

The solvers (``defs/attribution/assets.py``) read aggregates of the main dbt build and write tables dbt
reads as source ``attribution``; the models over them cannot be part of the main invocation (Dagster would
split it around the solvers, and tests that span its parts would run twice). Two invocations follow, as for
the budget-scenario marts (``defs/optimisation/marts.py``):

- ``dbt_attribution_credit_models``: what the bootstrap needs, downstream of the Markov credits (the
  data-driven touch credits, the credit fact ``fct_attribution_credits``, the bootstrap's contributions);
- ``dbt_attribution_roi_models``: the rest, after the bootstrap: the models over the intervals (the ROI
  marts and theirs), over the channel weights, and ``fct_channel_attribution`` and what reads it. The
  attribution checks (``checks.py``) look at ``fct_channel_attribution`` and the ROI marts in one step, and
  one of them blocks what is downstream of ``fct_channel_attribution``: all of them are built here, in one
  invocation, so the check step comes after it and nothing waits on itself.

A test goes with the invocation of its latest parent: the credit invocation leaves out everything the ROI
invocation builds, and their tests.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.assets import CODE_TESTS, OPTIMISATION_MODELS, build_selected, dbt_project, translator

CREDIT_MODELS = "source:attribution.markov_credits+"
ROI_MODELS = "source:attribution.roi_bootstrap_intervals+ source:attribution.channel_weights+ fct_channel_attribution+"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=CREDIT_MODELS,
    exclude=f"{CODE_TESTS} {OPTIMISATION_MODELS} {ROI_MODELS}",
    name="dbt_attribution_credit_models",
)
def dbt_attribution_credit_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) the models over the Markov credits that the ROI bootstrap reads."""
    yield from build_selected(context, dbt)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=ROI_MODELS,
    exclude=f"{CODE_TESTS} {OPTIMISATION_MODELS}",
    name="dbt_attribution_roi_models",
)
def dbt_attribution_roi_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) channel attribution and the models over the bootstrap intervals and channel weights."""
    yield from build_selected(context, dbt)


def mart_keys() -> list[dg.AssetKey]:
    """The marts these invocations build (the published snapshot waits for them)."""
    keys = [*dbt_attribution_credit_models.keys, *dbt_attribution_roi_models.keys]
    return sorted((key for key in keys if key.path[0] == "marts"), key=lambda key: key.path)
