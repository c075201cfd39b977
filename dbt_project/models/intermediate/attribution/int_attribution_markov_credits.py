"""Each conversion's Markov credit per channel of its journey, fitted so that channel totals are the Markov totals.

A dbt Python model, like int_attribution_channel_weights (runs inside the dbt process on the DuckDB
connection). It reads one row per conversion x distinct channel of its journey with the conversion's
revenue (``int_attribution_conversion_channels``, built in SQL) and the removal-effect shares
(``int_attribution_channel_weights``), and fits, by iterative proportional fitting
(``orchestration.lib.attribution.markov_conversion_credits``), how each conversion splits over its
channels: its credits sum to 1, only over its own channels, and summed over all converting journeys
each channel gets its normalised removal effect x the conversions and its value-weighted normalised
removal effect x the revenue, as ChannelAttribution defines Markov conversions and conversion value.
``int_touch_credits_data_driven`` hands each channel's part to its touches in SQL. Numbers only go
through numpy: no per-touch Python.
"""

from typing import Any

import pandas as pd

from orchestration.lib.attribution import markov_conversion_credits


def model(dbt: Any, session: Any) -> pd.DataFrame:
    dbt.config(materialized="table")
    # In a fixed order, so two builds of the same files give the same bits (see int_attribution_channel_weights).
    conversion_channels = dbt.ref("int_attribution_conversion_channels").order("conversion_id, channel").df()
    weights = dbt.ref("int_attribution_channel_weights").order("attribution_model, channel").df()
    return markov_conversion_credits(conversion_channels, weights)
