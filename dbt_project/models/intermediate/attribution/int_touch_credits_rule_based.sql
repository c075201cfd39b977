{{ config(materialized='view') }}
{#
    Credits of the five rule-based models, one row per conversion x touch x
    model, each conversion's credits summing to 1 (data contract):

    - first_touch / last_touch: 1 to touch_number 1 / touch_count, 0 to the
      others;
    - linear: 1 / touch_count each;
    - time_decay: weight 2^(-age_days / time_decay_half_life_days),
      normalised over the conversion's touches (ages 0, 7, 14 days with a
      7-day half-life weigh 1, 1/2, 1/4 and get 4/7, 2/7, 1/7);
    - position_based: a lone touch 1; two touches 1/2 each; three or more:
      position_weight_first to the first, position_weight_last to the last
      and position_weight_middle split evenly over the touches between.

    Positions come from int_journey_touches_windowed (occurred_at, then
    touchpoint_id), so ties are decided there, once for every model.
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

touch_weights as (

    select
        conversion_id,
        touchpoint_id,
        touch_number,
        touch_count,
        occurred_at,
        channel,
        platform,
        campaign_id,
        case when touch_number = 1 then 1.0 else 0.0 end as first_touch_credit,
        case when touch_number = touch_count then 1.0 else 0.0 end as last_touch_credit,
        1.0 / touch_count as linear_credit,
        power(
            cast(2 as {{ type_double() }}),
            -age_days / cast({{ var('time_decay_half_life_days') }} as {{ type_double() }})
        ) as time_decay_weight,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_number = 1
                then cast({{ var('position_weight_first') }} as {{ type_double() }})
            when touch_number = touch_count
                then cast({{ var('position_weight_last') }} as {{ type_double() }})
            else
                cast({{ var('position_weight_middle') }} as {{ type_double() }})
                / (touch_count - 2)
        end as position_based_credit
    from journey_touches

),

time_decay_normalised as (

    select
        *,
        -- the journey's weight summed exactly (order-independent); least() keeps a lone touch
        -- at 1 when the exact sum rounds its weight down in the 18th place
        least(
            time_decay_weight
            / {{ exact_sum('time_decay_weight', over='partition by conversion_id') }},
            1
        ) as time_decay_credit
    from touch_weights

),

{%- set rule_based_models = [
    'first_touch', 'last_touch', 'linear', 'time_decay', 'position_based'
] %}

rule_based_models as (

    {% for attribution_model in rule_based_models -%}
        select '{{ attribution_model }}' as attribution_model
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- one row per touch and model, in one pass over the touches
touch_credits_rule_based as (

    select
        rule_based_models.attribution_model,
        time_decay_normalised.conversion_id,
        time_decay_normalised.touchpoint_id,
        time_decay_normalised.touch_number,
        time_decay_normalised.touch_count,
        time_decay_normalised.occurred_at,
        time_decay_normalised.channel,
        time_decay_normalised.platform,
        time_decay_normalised.campaign_id,
        cast(
            case rule_based_models.attribution_model
                {% for attribution_model in rule_based_models -%}
                    when '{{ attribution_model }}'
                        then time_decay_normalised.{{ attribution_model }}_credit
                {% endfor -%}
            end as {{ type_double() }}
        ) as credit
    from time_decay_normalised
    cross join rule_based_models

)

select * from touch_credits_rule_based
