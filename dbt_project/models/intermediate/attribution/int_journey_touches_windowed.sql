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

    The rule itself is the macro journey_touches_windowed_ctes, shared with
    the opportunities' journeys (int_opportunity_journey_touches_windowed).
#}

with

conversions as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_channelled') }}

),

{{ journey_touches_windowed_ctes('conversions', 'touchpoints', 'conversion_id', 'converted_at') }}

select * from journey_touches_windowed
