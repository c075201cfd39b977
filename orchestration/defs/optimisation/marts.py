"""The budget-scenario marts (dbt ``models/*/optimisation``): built in the run's second dbt invocation.

They read the tables the optimiser writes, and the optimiser reads marts of the main dbt build, so they
cannot be part of that invocation: they are built with the models over the attribution solvers' tables
(``defs/dbt/solver_models.py``), after the optimiser and the solvers.
"""

import dagster as dg

from orchestration.defs.dbt import solver_models


def mart_keys() -> list[dg.AssetKey]:
    """The budget-scenario marts (the published snapshot waits for them)."""
    return solver_models.mart_keys(optimisation=True)
