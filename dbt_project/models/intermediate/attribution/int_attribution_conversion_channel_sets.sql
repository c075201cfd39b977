{{ config(materialized=roi_view_materialization()) }}
{#
    Each conversion with a touch in its window and the SET of its journey's
    distinct channels, in alphabetical order, joined with ' + ': how the
    Shapley coalitions are counted (int_attribution_channel_sets) and how a
    conversion finds its Markov split (int_attribution_markov_credits).
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
        {{ roi_listagg('channel', "' + '", ['channel']) }} as channel_set,
        count(*) as channel_count
    from conversion_channels
    group by conversion_id

)

select * from conversion_channel_sets
