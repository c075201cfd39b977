{#
    An opportunity's journey, one row per touch: the touches of the
    opportunity's customer (stitched identities included) with

        created_at - lookback < occurred_at <= created_at

    i.e. the conversions' journey rule (macro journey_touches_windowed_ctes,
    the same code as int_journey_touches_windowed) with the window measured
    to the opportunity's creation (of its current snapshot), numbered by
    occurred_at, then touchpoint_id; age_days in fractional days. Every
    current opportunity is here whatever its currency; those without a touch
    in the window are absent (credited to `unattributed`).
#}

with

opportunity_snapshots as (

    select * from {{ ref('int_opportunity_snapshots_converted_to_rc') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_channelled') }}

),

opportunities as (

    select * from opportunity_snapshots
    where is_current

),

{{ journey_touches_windowed_ctes('opportunities', 'touchpoints', 'opportunity_id', 'created_at') }}

select * from journey_touches_windowed
