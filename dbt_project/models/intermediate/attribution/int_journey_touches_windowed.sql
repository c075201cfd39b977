{#
    A conversion's journey, one row per touch (data contract): the touches of
    the conversion's customer, stitched identities included
    (int_touchpoints_stitched.resolved_customer_id), with

        converted_at - lookback < occurred_at <= converted_at

    (lookback = var attribution_lookback_days, on instants: 30 days = 720
    hours), numbered by occurred_at, then touchpoint_id, so the first and the
    last touch are decided even when two touches share an instant. age_days
    is the exact elapsed time from the touch to the conversion in fractional
    days (seconds / 86400), as time_decay needs it.

    Every conversion is here, whatever its currency: journeys do not depend on
    FX (fct_attribution_credits keeps the conversions that have a rate).
    Conversions without any touch in the window are absent (they are credited
    to `unattributed`).
#}

with

conversions as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_channelled') }}

),

touches_in_window as (

    select
        conversions.conversion_id,
        conversions.converted_at,
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        touchpoints.platform,
        touchpoints.campaign_id,
        touchpoints.is_paid_touch,
        {{ seconds_between('touchpoints.occurred_at', 'conversions.converted_at') }}
        / 86400.0 as age_days
    from conversions
    inner join touchpoints
        on
            conversions.customer_id = touchpoints.resolved_customer_id
            and {{ dbt.dateadd(
                'day', -1 * var('attribution_lookback_days'), 'conversions.converted_at'
            ) }} < touchpoints.occurred_at
            and conversions.converted_at >= touchpoints.occurred_at

),

journey_touches_windowed as (

    select
        conversion_id,
        touchpoint_id,
        row_number() over (
            partition by conversion_id
            order by occurred_at, touchpoint_id
        ) as touch_number,
        count(*) over (partition by conversion_id) as touch_count,
        occurred_at,
        converted_at,
        age_days,
        channel,
        platform,
        campaign_id,
        is_paid_touch
    from touches_in_window

)

select * from journey_touches_windowed
