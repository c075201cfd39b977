with

google_ads_campaign_stats as (

    select * from {{ ref('stg_google_ads__campaign_stats') }}

),

meta_ads_campaign_insights as (

    select * from {{ ref('stg_meta_ads__campaign_insights') }}

),

linkedin_ads_campaign_analytics as (

    select * from {{ ref('stg_linkedin_ads__campaign_analytics') }}

),

other_spend as (

    select * from {{ ref('stg_other_spend__spend') }}

),

spend_unioned as (

    select
        spend_date,
        'google_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        currency,
        spend,
        impressions,
        clicks,
        platform_conversions,
        platform_conversion_value,
        source_file,
        source_line_number
    from google_ads_campaign_stats

    union all

    select
        spend_date,
        'meta_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        currency,
        spend,
        impressions,
        clicks,
        platform_conversions,
        platform_conversion_value,
        source_file,
        source_line_number
    from meta_ads_campaign_insights

    union all

    select
        spend_date,
        'linkedin_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        currency,
        spend,
        impressions,
        clicks,
        platform_conversions,
        cast(null as decimal(18, 6)) as platform_conversion_value,
        source_file,
        source_line_number
    from linkedin_ads_campaign_analytics

    union all

    select
        spend_date,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        currency,
        spend,
        impressions,
        clicks,
        cast(null as decimal(18, 6)) as platform_conversions,
        cast(null as decimal(18, 6)) as platform_conversion_value,
        source_file,
        source_line_number
    from other_spend

)

select * from spend_unioned
