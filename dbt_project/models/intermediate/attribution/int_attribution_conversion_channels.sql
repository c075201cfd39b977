{{ config(materialized=roi_view_materialization()) }}
{#
    One row per conversion with a touch in its window x distinct channel of
    its journey, with the conversion's revenue in the reporting currency (0
    when it has no FX rate): what the Markov credit fit
    (int_attribution_markov_credits) splits, conversion by conversion.
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

conversions as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

conversion_channels as (

    select distinct
        conversion_id,
        channel
    from journey_touches

),

conversion_channels_valued as (

    select
        conversion_channels.conversion_id,
        conversion_channels.channel,
        cast(coalesce(conversions.revenue_rc, 0) as {{ type_double() }}) as revenue_rc
    from conversion_channels
    inner join conversions
        on conversion_channels.conversion_id = conversions.conversion_id

)

select * from conversion_channels_valued
