"""Markov credit of one conversion per distinct channel set, fitted so that channel totals are the Markov totals.

A dbt Python model, like int_attribution_channel_weights (runs inside the dbt process on the DuckDB
connection). It reads aggregates only: the distinct channel sets of converting journeys with their
counts (``int_attribution_channel_sets``) and the first-order removal-effect shares
(``int_attribution_channel_weights``), and fits, by iterative proportional fitting
(``orchestration.lib.attribution.fit_markov_credits``), how one conversion with each set splits
over its channels: every set's credits sum to 1, only over its own channels, and summed over all
converting journeys each channel gets its normalised removal effect × the conversions, as
ChannelAttribution defines Markov conversions. ``int_touch_credits_data_driven`` hands each
channel's part to its touches in SQL.
"""

from typing import Any

import pandas as pd

from orchestration.lib.attribution import markov_set_credits


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # In a fixed order, so two builds of the same files give the same bits (see int_attribution_channel_weights).
    channel_sets = dbt.ref("int_attribution_channel_sets").order("channel_set").df()
    weights = dbt.ref("int_attribution_channel_weights").order("attribution_model, channel").df()
    return markov_set_credits(channel_sets, weights)
