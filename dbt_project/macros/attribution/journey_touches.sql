{#
    The journey rule and the rule-based credits, written once for every
    outcome attribution credits: conversions (outcome_at = converted_at) and
    B2B opportunities (outcome_at = created_at). Each macro renders named CTEs
    for the calling model, which imports its relations first and ends with
    `select * from <the last CTE>`.

    journey_touches_windowed_ctes(outcomes, touchpoints, outcome_id, outcome_at)
        -> touches_in_window, journey_touches_windowed: one row per outcome x
        touch of its customer (stitched identities included) with
        outcome_at - lookback < occurred_at <= outcome_at, numbered by
        occurred_at, then touchpoint_id; age_days in fractional days.

    rule_based_touch_credit_ctes(journey_touches, outcome_id)
        -> touch_weights, time_decay_normalised, rule_based_models,
        touch_credits_rule_based: one row per outcome x touch x rule-based
        model, each outcome's credits summing to 1.
#}
{% macro journey_touches_windowed_ctes(outcomes, touchpoints, outcome_id, outcome_at) -%}
touches_in_window as (

    select
        {{ outcomes }}.{{ outcome_id }},
        {{ outcomes }}.{{ outcome_at }},
        {{ touchpoints }}.touchpoint_id,
        {{ touchpoints }}.occurred_at,
        {{ touchpoints }}.channel,
        {{ touchpoints }}.platform,
        {{ touchpoints }}.campaign_id,
        {{ touchpoints }}.is_paid_touch,
        {{ seconds_between(touchpoints ~ '.occurred_at', outcomes ~ '.' ~ outcome_at) }}
        / 86400.0 as age_days
    from {{ outcomes }}
    inner join {{ touchpoints }}
        on
            {{ outcomes }}.customer_id = {{ touchpoints }}.resolved_customer_id
            and {{ dbt.dateadd(
                'day', -1 * var('attribution_lookback_days'), outcomes ~ '.' ~ outcome_at
            ) }} < {{ touchpoints }}.occurred_at
            and {{ outcomes }}.{{ outcome_at }} >= {{ touchpoints }}.occurred_at

),

journey_touches_windowed as (

    select
        {{ outcome_id }},
        touchpoint_id,
        row_number() over (
            partition by {{ outcome_id }}
            order by occurred_at, touchpoint_id
        ) as touch_number,
        count(*) over (partition by {{ outcome_id }}) as touch_count,
        occurred_at,
        {{ outcome_at }},
        age_days,
        channel,
        platform,
        campaign_id,
        is_paid_touch
    from touches_in_window

)
{%- endmacro %}


{% macro rule_based_touch_credit_ctes(journey_touches, outcome_id) -%}
touch_weights as (

    select
        {{ outcome_id }},
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
        -- relative to the journey's youngest touch (weight 1), to 10 decimals: power() is libm's
        -- on DuckDB and the JVM's on Spark, which can differ in the last bit; the credits are the
        -- same ratios
        round(
            power(
                cast(2 as {{ type_double() }}),
                -(age_days - min(age_days) over (partition by {{ outcome_id }}))
                / cast({{ var('time_decay_half_life_days') }} as {{ type_double() }})
            ),
            10
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
    from {{ journey_touches }}

),

time_decay_normalised as (

    select
        *,
        -- the journey's weight summed exactly (order-independent; weights of 10 decimals are
        -- exact terms, so a lone touch gets 1)
        time_decay_weight
        / {{ exact_sum('time_decay_weight', over='partition by ' ~ outcome_id) }} as time_decay_credit
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
        time_decay_normalised.{{ outcome_id }},
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
{%- endmacro %}
