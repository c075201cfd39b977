{#
    The touch-level attribution fact: one row per attribution model x
    conversion x touch of its journey that the model gives credit (touches
    with credit 0, e.g. all but one under first_touch, are left out), with
    the touch's credit (each conversion's credits sum to 1 under every
    model) and the revenue and gross margin that follow it. A conversion
    without a touch in the window has one row per model, channel
    `unattributed`, credit 1 and no touch.
    Every other attribution and ROI mart adds these rows up.
#}

with

conversions as (

    select * from {{ ref('fct_conversions') }}

),

touch_credits_rule_based as (

    select * from {{ ref('int_touch_credits_rule_based') }}

),

touch_credits_data_driven as (

    select * from {{ ref('int_touch_credits_data_driven') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

unattributed_credits as (

    select
        attribution_models.attribution_model,
        conversions.conversion_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as bigint) as touch_number,
        0 as touch_count,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        'unattributed' as channel,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(1 as {{ type_double() }}) as credit
    from conversions
    cross join attribution_models
    where not conversions.has_touch_in_window

),

credits_unioned as (

    select * from touch_credits_rule_based
    union all
    select * from touch_credits_data_driven
    union all
    select * from unattributed_credits

),

credits_with_values as (

    select
        credits_unioned.attribution_model,
        credits_unioned.conversion_id,
        credits_unioned.touchpoint_id,
        cast(credits_unioned.touch_number as bigint) as touch_number,
        cast(credits_unioned.touch_count as bigint) as touch_count,
        conversions.conversion_period,
        credits_unioned.channel,
        credits_unioned.platform,
        credits_unioned.campaign_id,
        credits_unioned.credit,
        {{ credited_amount('conversions.revenue_rc', 'credits_unioned.credit') }} as attributed_revenue_rc,
        {{ credited_amount('conversions.gross_margin_rc', 'credits_unioned.credit') }} as attributed_margin_rc
    from credits_unioned
    inner join conversions
        on credits_unioned.conversion_id = conversions.conversion_id
    -- the touches a model gives nothing (first_touch's and last_touch's others)
    where credits_unioned.credit > 0

)

select * from credits_with_values
