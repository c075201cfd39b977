"""Bootstrap confidence intervals of ROI and ROAS per model × channel × month and model × campaign × month.

A dbt Python model (runs inside the dbt process, see int_attribution_channel_weights). It reads
aggregates only: ``int_roi_groups`` (the groups with spend, numbered) and
``int_roi_bootstrap_contributions`` (one row per conversion × group, integer codes and amounts,
built by DuckDB from the touch-level credit fact). The bootstrap
(``orchestration.lib.attribution.roi_intervals``) resamples journeys: each resample gives every
conversion one Poisson(1) weight shared by all its credits, month by month, seeded from
``bootstrap_random_seed``, so the intervals are reproducible.
"""

from typing import Any

import pandas as pd

from orchestration.lib.attribution import roi_intervals


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    groups = dbt.ref("int_roi_groups").df()
    # numbers only: fetched as numpy arrays, no per-row Python objects
    contributions = pd.DataFrame(dbt.ref("int_roi_bootstrap_contributions").fetchnumpy())
    return roi_intervals(
        contributions,
        groups,
        resamples=int(dbt.config.get("bootstrap_resamples")),
        level=float(dbt.config.get("bootstrap_confidence_level")),
        seed=int(dbt.config.get("bootstrap_random_seed")),
    )
