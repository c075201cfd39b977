"""The dbt models over the tables Python assets write, as the run's second and last dbt invocation.

Two kinds of Python assets read marts of the main invocation (``assets.py: dbt_models``) and write tables
dbt reads as sources: the attribution solvers (``defs/attribution/assets.py``: channel weights, Markov
credits, ROI bootstrap, source ``attribution``) and the budget optimiser (``defs/optimisation``, read by
the ``models/*/optimisation`` views). The models over those tables cannot be part of the main invocation
(Dagster would split it around the Python assets, and tests that span its parts would run twice); they
are all built here, in ONE invocation after every one of those assets, so a run invokes dbt twice
whatever it builds: main dbt build -> solvers and optimiser -> this.

The solvers need nothing from here: everything they read (path counts, channel sets, conversion x channel
rows, the bootstrap's contributions before the Markov fit) is built by the main invocation. What is
downstream of source ``attribution`` is the credit fact and every mart over it (channel attribution, the
ROI marts, the channel weights, ROI triangulation, team budget performance); the attribution checks
(``defs/attribution/checks.py``) look at several of them in one step, which comes after this one.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.dbt.assets import (
    ATTRIBUTION_SOLVER_MODELS,
    CODE_TESTS,
    OPTIMISATION_MODELS,
    build_selected,
    dbt_project,
    translator,
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=f"{ATTRIBUTION_SOLVER_MODELS} {OPTIMISATION_MODELS}",
    exclude=CODE_TESTS,
    name="dbt_solver_models",
)
def dbt_solver_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run + test) the models over the attribution solvers' and the optimiser's tables."""
    yield from build_selected(context, dbt)


def mart_keys(*, optimisation: bool) -> list[dg.AssetKey]:
    """The marts this invocation builds (the published snapshot waits for them): the budget-scenario marts
    (group ``optimisation``) with ``optimisation=True``, the others (attribution's and those over them) with
    False."""
    keys = [
        spec.key
        for spec in dbt_solver_models.specs
        if spec.key.path[0] == "marts" and (spec.group_name == "optimisation") == optimisation
    ]
    return sorted(keys, key=lambda key: key.path)
