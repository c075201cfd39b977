{{ config(materialized=roi_view_materialization()) }}
{#
    Credits of the two data-driven models, in the same shape as the
    rule-based ones (conversion x touch x model, each conversion's credits
    summing to 1), so every model flows into the same marts:

    - markov: a conversion's credit goes to its distinct channels as fitted
      for it (int_attribution_markov_credits: iterative proportional
      fitting, so that each channel's credit summed over all converting
      journeys is its normalised removal effect x the conversions, and its
      revenue the value-weighted one x the revenue), each channel's part
      split equally over that channel's touches (so campaign credit follows
      within the channel).
    - shapley: the exact Shapley value of one conversion of the game
      v(S) = conversions whose channel set is within S is 1 / (its number of
      distinct channels) to each of its channels (a unanimity game), split
      equally over that channel's touches. Summed over all conversions, each
      channel's credit equals its exact Shapley value.
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

conversion_channel_sets as (

    select * from {{ ref('int_attribution_conversion_channel_sets') }}

),

markov_conversion_credits as (

    select * from {{ ref('int_attribution_markov_credits') }}

),

channel_touch_counts as (

    select
        journey_touches.*,
        count(*) over (
            partition by journey_touches.conversion_id, journey_touches.channel
        ) as channel_touch_count
    from journey_touches

),

markov_credits as (

    select
        'markov' as attribution_model,
        channel_touch_counts.conversion_id,
        channel_touch_counts.touchpoint_id,
        channel_touch_counts.touch_number,
        channel_touch_counts.touch_count,
        channel_touch_counts.occurred_at,
        channel_touch_counts.channel,
        channel_touch_counts.platform,
        channel_touch_counts.campaign_id,
        cast(
            markov_conversion_credits.credit / channel_touch_counts.channel_touch_count
            as {{ type_double() }}
        ) as credit
    from channel_touch_counts
    inner join markov_conversion_credits
        on
            channel_touch_counts.conversion_id = markov_conversion_credits.conversion_id
            and channel_touch_counts.channel = markov_conversion_credits.channel

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
        cast(
            {{ roi_divide(1, 'channel_count') }} / channel_touch_count as {{ type_double() }}
        ) as credit
    from shapley_touch_shares

),

touch_credits_data_driven as (

    select * from markov_credits
    union all
    select * from shapley_credits

)

select * from touch_credits_data_driven
