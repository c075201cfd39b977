"""Markov fidelity: the warehouse's Markov channel shares against ChannelAttribution, before and after.

Reads a built warehouse (default: ``ROI_WAREHOUSE``, i.e. what ``make run`` built) and prints, per
channel:

* ``reference``: ChannelAttribution's ``markov_model`` (order 1, converting and non-converting paths
  from ``int_attribution_paths``) conversion share, with walks cut at ``--max-step`` steps (default
  100; ``--max-step 0`` uses ChannelAttribution's own default, the longest observed path);
* ``before``: the share of Markov credit when each conversion is split over its own touches in
  proportion to their channels' removal effects (the method before issue 12, recomputed in SQL from
  the same warehouse);
* ``after``: the share the marts hand out (``fct_channel_attribution``, model ``markov``);
* the ROI of the channel over all months (Σ attributed margin − Σ spend) / Σ spend, before and after;
* revenue: ChannelAttribution's value-weighted share (``var_value`` = the paths' revenue in the reporting
  currency) next to the share of attributed revenue in the marts (fitted to the exact value-weighted
  removal effects when reachable, see the ``markov_credit_fit`` docs).

    .venv/bin/python bench/bench_markov_fidelity.py
    .venv/bin/python bench/bench_markov_fidelity.py --warehouse /tmp/roi.duckdb --max-step 0
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration.lib.settings import warehouse_path  # noqa: E402

BEFORE_CREDITS = """
with removal_effects as (
    select channel, removal_effect
    from intermediate.int_attribution_channel_weights
    where attribution_model = 'markov'
),
touch_weights as (
    select
        journey.conversion_id,
        journey.channel,
        coalesce(removal_effects.removal_effect, 0) as touch_weight,
        journey.touch_count
    from intermediate.int_journey_touches_windowed as journey
    inner join marts.fct_conversions as conversions
        on journey.conversion_id = conversions.conversion_id
    left join removal_effects on journey.channel = removal_effects.channel
),
credits as (
    select
        conversion_id,
        channel,
        case
            when sum(touch_weight) over (partition by conversion_id) > 0
                then touch_weight / sum(touch_weight) over (partition by conversion_id)
            else 1.0 / touch_count
        end as credit
    from touch_weights
)
select
    credits.channel,
    sum(credits.credit) as conversions,
    sum(credits.credit * cast(conversions.gross_margin_rc as double)) as attributed_margin_rc
from credits
inner join marts.fct_conversions as conversions on credits.conversion_id = conversions.conversion_id
group by credits.channel
"""

AFTER_CREDITS = """
select
    channel,
    sum(conversions) as conversions,
    sum(cast(attributed_margin_rc as double)) as attributed_margin_rc
from marts.fct_channel_attribution
where attribution_model = 'markov' and channel != 'unattributed'
group by channel
"""

PATH_REVENUE = """
with conversion_paths as (
    select
        journey.conversion_id,
        string_agg(journey.channel, ' > ' order by journey.touch_number) as channel_path
    from intermediate.int_journey_touches_windowed as journey
    group by journey.conversion_id
)
select conversion_paths.channel_path, sum(cast(conversions.revenue_rc as double)) as revenue_rc
from conversion_paths
inner join marts.fct_conversions as conversions on conversion_paths.conversion_id = conversions.conversion_id
group by conversion_paths.channel_path
"""

AFTER_REVENUE = """
select channel, sum(cast(attributed_revenue_rc as double)) as attributed_revenue_rc
from marts.fct_channel_attribution
where attribution_model = 'markov' and channel != 'unattributed'
group by channel
"""

SPEND = """
select channel, sum(cast(spend_rc as double)) as spend_rc
from marts.fct_roi_by_channel
where attribution_model = 'markov'
group by channel
"""


def reference_shares(paths: pd.DataFrame, max_step: int | None) -> tuple[pd.Series, pd.Series]:
    """ChannelAttribution's conversion shares and value-weighted (revenue) shares."""
    import ChannelAttribution

    data = pd.DataFrame(
        {
            "path": paths["channel_path"],
            "conversions": paths["conversions"].astype(float),
            "nulls": paths["non_conversions"].astype(float),
            "revenue": paths["revenue_rc"].astype(float),
        }
    )
    with contextlib.redirect_stdout(io.StringIO()):
        result = ChannelAttribution.markov_model(
            data,
            "path",
            "conversions",
            var_value="revenue",
            var_null="nulls",
            order=1,
            sep=">",
            max_step=max_step,
            seed=1,
            verbose=False,
            flg_pro=False,
        )
    totals = result.set_index("channel_name").rename(index=str.strip)
    conversions = totals["total_conversions"]
    revenue = totals["total_conversion_value"]
    return conversions / conversions.sum(), revenue / revenue.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default: ROI_WAREHOUSE)")
    parser.add_argument("--max-step", type=int, default=100, help="ChannelAttribution's max_step; 0 = its default")
    args = parser.parse_args()
    warehouse = args.warehouse or warehouse_path()

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        paths = connection.sql(
            "select channel_path, conversions, non_conversions from intermediate.int_attribution_paths"
        ).df()
        path_revenue = connection.sql(PATH_REVENUE).df()
        after_revenue = connection.sql(AFTER_REVENUE).df().set_index("channel")["attributed_revenue_rc"]
        before = connection.sql(BEFORE_CREDITS).df().set_index("channel")
        after = connection.sql(AFTER_CREDITS).df().set_index("channel")
        spend = connection.sql(SPEND).df().set_index("channel")["spend_rc"]
        fit = connection.execute(
            "select any_value(fit_iterations), any_value(fit_max_gap), bool_and(is_fit_converged),"
            " bool_and(is_revenue_fitted) from intermediate.int_attribution_markov_credits"
        ).fetchone()

    paths = paths.merge(path_revenue, on="channel_path", how="left").fillna({"revenue_rc": 0.0})
    reference, reference_revenue = reference_shares(paths, args.max_step or None)
    table = pd.DataFrame(
        {
            "reference": reference,
            "before": before["conversions"] / before["conversions"].sum(),
            "after": after["conversions"] / after["conversions"].sum(),
        }
    ).fillna(0.0)
    table["before_gap"] = table["before"] - table["reference"]
    table["after_gap"] = table["after"] - table["reference"]
    spend = spend.reindex(table.index).fillna(0.0)
    has_spend = spend > 0
    table["roi_before"] = ((before["attributed_margin_rc"] - spend) / spend.where(has_spend)).reindex(table.index)
    table["roi_after"] = ((after["attributed_margin_rc"] - spend) / spend.where(has_spend)).reindex(table.index)

    print(f"warehouse: {warehouse}")
    print(f"ChannelAttribution max_step: {args.max_step or 'default (longest path)'}; journeys: {len(paths)} paths")
    print(f"IPF fit: {fit[0]} rounds, largest gap {fit[1]:.2e}, converged: {fit[2]}, revenue fitted too: {fit[3]}")
    print(table.round(4).to_string())
    print(
        f"largest |share - reference|: before {table['before_gap'].abs().max():.4f}, "
        f"after {table['after_gap'].abs().max():.4f} (target <= 0.01)"
    )
    revenue = pd.DataFrame(
        {
            "reference_value": reference_revenue,
            "marts_revenue": after_revenue / after_revenue.sum(),
        }
    ).fillna(0.0)
    revenue["gap"] = revenue["marts_revenue"] - revenue["reference_value"]
    print("revenue shares: ChannelAttribution var_value vs the marts' attributed revenue")
    print(revenue.round(4).to_string())
    print(f"largest |revenue share - reference|: {revenue['gap'].abs().max():.4f}")


if __name__ == "__main__":
    main()
