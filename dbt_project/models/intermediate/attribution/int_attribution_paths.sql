{{ config(materialized=roi_view_materialization()) }}
{#
    The distinct channel paths of ALL journeys with how many converted and
    how many did not, and the revenue of the converting ones (reporting
    currency; conversions without an FX rate add 0): the only thing the
    Markov model (Python, int_attribution_channel_weights) reads.

    - Converting journeys: one per conversion with a touch in its window,
      its channels in journey order (int_journey_touches_windowed).
    - Non-converting journeys: a visitor's (visitor_id) touches that belong
      to no conversion's window, in order (occurred_at, then touchpoint_id),
      split where two consecutive touches are more than the lookback apart.

    channel_path joins the channels with ' > ' (channel names never contain
    it: tested on the channel_rules seed and on int_touchpoints_channelled).
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_channelled') }}

),

conversions as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

converting_journey_paths as (

    select
        conversion_id,
        {{ roi_listagg('channel', "' > '", ['touch_number']) }} as channel_path,
        count(*) as path_length
    from journey_touches
    group by conversion_id

),

converting_journeys as (

    select
        converting_journey_paths.channel_path,
        converting_journey_paths.path_length,
        coalesce(conversions.revenue_rc, 0) as revenue_rc
    from converting_journey_paths
    inner join conversions
        on converting_journey_paths.conversion_id = conversions.conversion_id

),

touches_in_some_window as (

    select distinct touchpoint_id
    from journey_touches

),

touches_in_no_window as (

    select
        touchpoints.visitor_id,
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        lag(touchpoints.occurred_at) over (
            partition by touchpoints.visitor_id
            order by touchpoints.occurred_at, touchpoints.touchpoint_id
        ) as previous_occurred_at
    from touchpoints
    left join touches_in_some_window
        on touchpoints.touchpoint_id = touches_in_some_window.touchpoint_id
    where touches_in_some_window.touchpoint_id is null

),

touches_in_no_window_flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ dbt.dateadd(
                'day', var('attribution_lookback_days'), 'previous_occurred_at'
            ) }} then 1
            else 0
        end as starts_journey
    from touches_in_no_window

),

touches_in_no_window_numbered as (

    select
        *,
        sum(starts_journey) over (
            partition by visitor_id
            order by occurred_at, touchpoint_id
            rows between unbounded preceding and current row
        ) as journey_number
    from touches_in_no_window_flagged

),

non_converting_journeys as (

    select
        visitor_id,
        journey_number,
        {{ roi_listagg('channel', "' > '", ['occurred_at', 'touchpoint_id']) }} as channel_path,
        count(*) as path_length
    from touches_in_no_window_numbered
    group by visitor_id, journey_number

),

journeys_unioned as (

    select
        channel_path,
        path_length,
        1 as is_conversion,
        revenue_rc
    from converting_journeys

    union all

    select
        channel_path,
        path_length,
        0 as is_conversion,
        0 as revenue_rc
    from non_converting_journeys

),

paths_counted as (

    select
        channel_path,
        path_length,
        sum(is_conversion) as conversions,
        sum(1 - is_conversion) as non_conversions,
        cast(sum(revenue_rc) as decimal(38, 12)) as conversion_revenue_rc
    from journeys_unioned
    group by channel_path, path_length

)

select * from paths_counted
