with

spend_converted_to_rc as (

    select * from {{ ref('int_spend_converted_to_rc') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

-- spend without a usable FX rate is reported in audit.fx_conversion_errors
spend_with_fx_rate as (

    select * from spend_converted_to_rc
    where has_fx_rate

),

spend_joined_to_campaigns as (

    select
        spend_with_fx_rate.spend_date,
        spend_with_fx_rate.platform,
        spend_with_fx_rate.account_id,
        spend_with_fx_rate.campaign_id,
        coalesce(
            spend_with_fx_rate.campaign_name, campaigns.campaign_name
        ) as campaign_name,
        campaigns.channel,
        campaigns.budget_line_id,
        spend_with_fx_rate.currency,
        cast(spend_with_fx_rate.spend as decimal(18, 6)) as spend,
        spend_with_fx_rate.reporting_currency,
        cast(spend_with_fx_rate.fx_rate as {{ type_fx_rate() }}) as fx_rate,
        spend_with_fx_rate.fx_rate_date,
        spend_with_fx_rate.fx_rate_source,
        cast(spend_with_fx_rate.spend_rc as decimal(38, 12)) as spend_rc,
        cast(spend_with_fx_rate.impressions as bigint) as impressions,
        cast(spend_with_fx_rate.clicks as bigint) as clicks,
        cast(
            spend_with_fx_rate.platform_conversions as decimal(18, 6)
        ) as platform_conversions,
        cast(
            spend_with_fx_rate.platform_conversion_value as decimal(18, 6)
        ) as platform_conversion_value
    from spend_with_fx_rate
    left join campaigns
        on
            spend_with_fx_rate.platform = campaigns.platform
            and spend_with_fx_rate.campaign_id = campaigns.campaign_id

)

select * from spend_joined_to_campaigns
