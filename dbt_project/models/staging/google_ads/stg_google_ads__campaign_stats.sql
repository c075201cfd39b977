with

source as (

    select * from {{ source('google_ads', 'campaign_stats') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['segments_date', 'customer_id', 'campaign_id']) }}

),

renamed as (

    select
        -- grain
        segments_date as spend_date,
        customer_id as account_id,
        campaign_id,

        -- attributes
        campaign_name,
        customer_currency_code as currency,

        -- measures
        metrics_cost_micros as spend_micros,
        {{ micros_to_amount('metrics_cost_micros') }} as spend,
        metrics_impressions as impressions,
        metrics_clicks as clicks,
        cast(metrics_conversions as decimal(18, 6)) as platform_conversions,
        cast(metrics_conversions_value as decimal(18, 6)) as platform_conversion_value,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
