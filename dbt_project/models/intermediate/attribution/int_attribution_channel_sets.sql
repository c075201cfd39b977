{{ config(materialized='view') }}
{#
    The distinct channel SETS of converting journeys with how many conversions
    had exactly that set: the coalition counts the Shapley model
    (int_attribution_channel_weights) reads. channel_set lists the set's
    channels in alphabetical order, joined with ' + '.
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

conversion_channels as (

    select distinct
        conversion_id,
        channel
    from journey_touches

),

conversion_channel_sets as (

    select
        conversion_id,
        {{ dbt.listagg('channel', "' + '", 'order by channel') }} as channel_set,
        count(*) as channel_count
    from conversion_channels
    group by conversion_id

),

channel_sets_counted as (

    select
        channel_set,
        channel_count,
        count(*) as conversions
    from conversion_channel_sets
    group by channel_set, channel_count

)

select * from channel_sets_counted
