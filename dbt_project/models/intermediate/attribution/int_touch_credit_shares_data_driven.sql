{{ config(materialized=roi_view_materialization()) }}
{#
    The data-driven models' touch rows before the Markov fit, so that they
    exist in the first dbt invocation, before the attribution solvers run
    (orchestration/defs/attribution/assets.py): one row per model (markov,
    shapley) x conversion x touch of its journey, with the number of the
    conversion's touches of the touch's channel (a channel's part is split
    equally over them).

    - shapley: credit is final: the exact Shapley value of one conversion of
      the game v(S) = conversions whose channel set is within S is
      1 / (its number of distinct channels) to each of its channels (a
      unanimity game), split equally over that channel's touches.
    - markov: credit is null; the conversion's fitted credit of the channel
      (int_attribution_markov_credits) / channel_touch_count, applied by
      int_touch_credits_data_driven and, for the bootstrap, by the asset
      attribution/roi_bootstrap_draws (int_roi_bootstrap_contributions).
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

conversion_channel_sets as (

    select * from {{ ref('int_attribution_conversion_channel_sets') }}

),

channel_touch_counts as (

    select
        journey_touches.*,
        count(*) over (
            partition by journey_touches.conversion_id, journey_touches.channel
        ) as channel_touch_count
    from journey_touches

),

markov_shares as (

    select
        'markov' as attribution_model,
        conversion_id,
        touchpoint_id,
        touch_number,
        touch_count,
        occurred_at,
        channel,
        platform,
        campaign_id,
        channel_touch_count,
        cast(null as {{ type_double() }}) as credit
    from channel_touch_counts

),

shapley_touch_shares as (

    select
        channel_touch_counts.*,
        conversion_channel_sets.channel_count
    from channel_touch_counts
    inner join conversion_channel_sets
        on channel_touch_counts.conversion_id = conversion_channel_sets.conversion_id

),

shapley_credits as (

    select
        'shapley' as attribution_model,
        conversion_id,
        touchpoint_id,
        touch_number,
        touch_count,
        occurred_at,
        channel,
        platform,
        campaign_id,
        channel_touch_count,
        cast(
            {{ roi_divide(1, 'channel_count') }} / channel_touch_count as {{ type_double() }}
        ) as credit
    from shapley_touch_shares

),

touch_credit_shares as (

    select * from markov_shares
    union all
    select * from shapley_credits

)

select * from touch_credit_shares
