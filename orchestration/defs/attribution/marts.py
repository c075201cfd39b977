"""The dbt models over the attribution solvers' tables: built in the run's second dbt invocation.

The solvers (``defs/attribution/assets.py``) read aggregates of the main dbt build and write tables dbt
reads as source ``attribution``; the models over them (the credit fact, channel attribution, the ROI
marts, the channel weights and the marts that read those) are built with the budget-scenario marts in one
invocation after the solvers and the optimiser (``defs/dbt/solver_models.py``), so the attribution checks'
step comes after everything it looks at.
"""

import dagster as dg

from orchestration.defs.dbt import solver_models


def mart_keys() -> list[dg.AssetKey]:
    """The marts over the solvers' tables (the published snapshot waits for them)."""
    return solver_models.mart_keys(optimisation=False)
