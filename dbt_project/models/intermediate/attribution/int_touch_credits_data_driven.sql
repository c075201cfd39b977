{{ config(materialized='view') }}
{#
    Credits of the two data-driven models, in the same shape as the
    rule-based ones (conversion x touch x model, each conversion's credits
    summing to 1), so every model flows into the same marts:

    - markov: the conversion's credit is split over its touches in
      proportion to the removal effect of each touch's channel
      (int_attribution_channel_weights); should all its channels have a
      removal effect of 0, equally over its touches.
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

channel_weights as (

    select * from {{ ref('int_attribution_channel_weights') }}

),

markov_removal_effects as (

    select
        channel,
        removal_effect
    from channel_weights
    where attribution_model = 'markov'

),

markov_touch_weights as (

    select
        journey_touches.*,
        coalesce(markov_removal_effects.removal_effect, 0) as touch_weight
    from journey_touches
    left join markov_removal_effects
        on journey_touches.channel = markov_removal_effects.channel

),

markov_journey_weights as (

    select
        *,
        {{ exact_sum('touch_weight', over='partition by conversion_id') }} as journey_weight
    from markov_touch_weights

),

markov_credits as (

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
        cast(
            case
                -- least(): the exact journey sum may round a lone touch's weight down
                -- in the 18th place
                when journey_weight > 0 then least(touch_weight / journey_weight, 1)
                else 1.0 / touch_count
            end as {{ type_double() }}
        ) as credit
    from markov_journey_weights

),

conversion_channel_counts as (

    select
        conversion_id,
        count(distinct channel) as distinct_channel_count
    from journey_touches
    group by conversion_id

),

shapley_touch_shares as (

    select
        journey_touches.*,
        conversion_channel_counts.distinct_channel_count,
        count(*) over (
            partition by journey_touches.conversion_id, journey_touches.channel
        ) as channel_touch_count
    from journey_touches
    inner join conversion_channel_counts
        on journey_touches.conversion_id = conversion_channel_counts.conversion_id

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
            1.0 / distinct_channel_count / channel_touch_count as {{ type_double() }}
        ) as credit
    from shapley_touch_shares

),

touch_credits_data_driven as (

    select * from markov_credits
    union all
    select * from shapley_credits

)

select * from touch_credits_data_driven
