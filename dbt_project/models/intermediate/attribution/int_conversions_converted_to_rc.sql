{{ config(materialized=roi_view_materialization()) }}
{#
    Every conversion with its revenue and gross margin in the reporting
    currency, at the rate of its conversion date (UTC) from
    int_fx_rates_as_of, and its `YYYY-MM` conversion_period. A conversion
    without a usable rate keeps null `_rc` amounts and has_fx_rate false:
    fct_conversions takes the others, audit.conversion_fx_errors lists these.
#}

{#- the rate: 1 for the reporting currency, without a lookup (fx_rate_into_rc) -#}
{%- set fx_rate = fx_rate_into_rc('conversions.currency', 'fx_rates_as_of.rate') -%}

with

conversions as (

    select * from {{ ref('stg_crm__conversions') }}

),

fx_rates_as_of as (

    select * from {{ ref('int_fx_rates_as_of') }}

),

conversions_converted_to_rc as (

    select
        conversions.conversion_id,
        conversions.customer_id,
        conversions.converted_at,
        cast(conversions.converted_at as date) as conversion_date,
        {{ month_period_of('conversions.converted_at') }} as conversion_period,
        conversions.conversion_type,
        conversions.currency,
        conversions.revenue,
        conversions.gross_margin,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ fx_rate }} as fx_rate,
        coalesce(
            fx_rates_as_of.rate_date_used,
            case when conversions.currency = '{{ var("reporting_currency") }}' then cast(conversions.converted_at as date) end
        ) as fx_rate_date,
        coalesce(
            fx_rates_as_of.rate_source,
            case when conversions.currency = '{{ var("reporting_currency") }}' then 'identity' end
        ) as fx_rate_source,
        {{ convert_to_rc('conversions.revenue', fx_rate) }} as revenue_rc,
        {{ convert_to_rc('conversions.gross_margin', fx_rate) }} as gross_margin_rc,
        {{ fx_rate }} is not null as has_fx_rate,
        conversions.source_file,
        conversions.source_line_number
    from conversions
    left join fx_rates_as_of
        on
            cast(conversions.converted_at as date) = fx_rates_as_of.as_of_date
            and conversions.currency = fx_rates_as_of.currency

)

select * from conversions_converted_to_rc
