"""The global numbers of the data-driven models: Markov removal effects and Shapley values per channel.

A dbt Python model: dbt-duckdb runs it inside the dbt process on the warehouse connection, so the
whole attribution graph stays in the one ``dbt build`` Dagster runs. It reads aggregates only —
distinct channel paths with their conversion and non-conversion counts, and distinct channel sets
of converting journeys with their counts, both built in SQL — and solves them exactly with
``orchestration.lib.attribution`` (one linear solve of the absorbing chain per channel for Markov,
first order as the contract defines it and, for comparison, second order; a subset-sum transform
over the channel coalitions for Shapley).
"""

from typing import Any

import pandas as pd

from orchestration.lib.attribution import channel_weights


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # In a fixed order: the solves add floating-point numbers, and the same inputs in another order could
    # differ in the last bits, making two builds of the same files disagree.
    paths = dbt.ref("int_attribution_paths").order("channel_path").df()
    channel_sets = dbt.ref("int_attribution_channel_sets").order("channel_set").df()
    return channel_weights(paths, channel_sets)
