{#
    Every conversion with a usable FX rate, its revenue and gross margin in
    the reporting currency (rate of the conversion date), its month and
    whether its journey has any touch in the lookback window. Conversions
    without a rate are in audit.conversion_fx_errors (and fail the build).
#}

with

conversions_converted_to_rc as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

journey_sizes as (

    select
        conversion_id,
        count(*) as journey_touch_count
    from journey_touches
    group by conversion_id

),

conversions_with_fx_rate as (

    select
        conversions_converted_to_rc.conversion_id,
        conversions_converted_to_rc.customer_id,
        conversions_converted_to_rc.converted_at,
        conversions_converted_to_rc.conversion_date,
        conversions_converted_to_rc.conversion_period,
        conversions_converted_to_rc.conversion_type,
        conversions_converted_to_rc.currency,
        cast(conversions_converted_to_rc.revenue as decimal(18, 6)) as revenue,
        cast(conversions_converted_to_rc.gross_margin as decimal(18, 6)) as gross_margin,
        conversions_converted_to_rc.reporting_currency,
        cast(conversions_converted_to_rc.fx_rate as {{ type_fx_rate() }}) as fx_rate,
        conversions_converted_to_rc.fx_rate_date,
        conversions_converted_to_rc.fx_rate_source,
        cast(conversions_converted_to_rc.revenue_rc as decimal(38, 12)) as revenue_rc,
        cast(conversions_converted_to_rc.gross_margin_rc as decimal(38, 12)) as gross_margin_rc,
        cast(coalesce(journey_sizes.journey_touch_count, 0) as bigint) as journey_touch_count,
        journey_sizes.conversion_id is not null as has_touch_in_window
    from conversions_converted_to_rc
    left join journey_sizes
        on conversions_converted_to_rc.conversion_id = journey_sizes.conversion_id
    where conversions_converted_to_rc.has_fx_rate

)

select * from conversions_with_fx_rate
