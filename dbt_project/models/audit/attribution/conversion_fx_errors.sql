{#
    Every conversion that could not be converted into the reporting currency
    (no rate within fx_max_staleness_days before its conversion date), with
    the reason in words. A test keeps this empty (severity error): such a
    conversion is missing from fct_conversions and every attribution mart, so
    it stops the build instead of silently shrinking revenue.
    Rows of int_conversions_converted_to_rc = fct_conversions + rows here.
#}

with

conversions_converted_to_rc as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

fx_rates_resolved as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

conversions_without_fx_rate as (

    select * from conversions_converted_to_rc
    where not has_fx_rate

),

-- with the newest rate there is before the day, however stale, to say how stale
conversions_without_fx_rate_dated as (

    {{ with_latest_fx_rate_date(
        'conversions_without_fx_rate', 'fx_rates_resolved', 'conversion_date'
    ) }}

),

errors_explained as (

    select
        conversion_id,
        customer_id,
        converted_at,
        conversion_date,
        currency,
        cast(revenue as decimal(18, 6)) as revenue,
        cast(gross_margin as decimal(18, 6)) as gross_margin,
        reporting_currency,
        latest_rate_date,
        {{ missing_fx_rate_reason('currency', 'conversion_date', 'latest_rate_date') }} as reason,
        source_file,
        source_line_number
    from conversions_without_fx_rate_dated

)

select * from errors_explained
