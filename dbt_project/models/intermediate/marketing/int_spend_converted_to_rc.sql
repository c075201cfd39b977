{#- the rate: 1 for the reporting currency, without a lookup (fx_rate_into_rc) -#}
{%- set fx_rate = fx_rate_into_rc('spend_unioned.currency', 'fx_rates_as_of.rate') -%}

with

spend_unioned as (

    select * from {{ ref('int_spend_unioned') }}

),

fx_rates_as_of as (

    select * from {{ ref('int_fx_rates_as_of') }}

),

spend_converted_to_rc as (

    select
        spend_unioned.spend_date,
        spend_unioned.platform,
        spend_unioned.account_id,
        spend_unioned.campaign_id,
        spend_unioned.campaign_name,
        spend_unioned.currency,
        spend_unioned.spend,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ fx_rate }} as fx_rate,
        coalesce(
            fx_rates_as_of.rate_date_used,
            case when spend_unioned.currency = '{{ var("reporting_currency") }}' then spend_unioned.spend_date end
        ) as fx_rate_date,
        coalesce(
            fx_rates_as_of.rate_source,
            case when spend_unioned.currency = '{{ var("reporting_currency") }}' then 'identity' end
        ) as fx_rate_source,
        {{ convert_to_rc('spend_unioned.spend', fx_rate) }} as spend_rc,
        {{ fx_rate }} is not null as has_fx_rate,
        spend_unioned.impressions,
        spend_unioned.clicks,
        spend_unioned.platform_conversions,
        spend_unioned.platform_conversion_value,
        spend_unioned.source_file,
        spend_unioned.source_line_number
    from spend_unioned
    left join fx_rates_as_of
        on
            spend_unioned.spend_date = fx_rates_as_of.as_of_date
            and spend_unioned.currency = fx_rates_as_of.currency

)

select * from spend_converted_to_rc
