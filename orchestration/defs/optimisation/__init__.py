"""Budget optimisation: scenarios over the marketing-mix model's response curves (``lib/optimisation``),
written for dbt to publish as ``marts.fct_budget_scenarios`` and ``marts.fct_budget_scenario_summary``."""

import dagster as dg

from orchestration.defs.optimisation.assets import budget_scenarios
from orchestration.defs.optimisation.marts import mart_keys

__all__ = ["defs", "mart_keys"]


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[budget_scenarios])
