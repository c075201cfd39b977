with

source as (

    select * from {{ source('meta_ads', 'campaign_insights') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['date_start', 'account_id', 'campaign_id']) }}

),

renamed as (

    select
        -- grain
        date_start as spend_date,
        account_id,
        campaign_id,

        -- attributes
        campaign_name,
        account_currency as currency,

        -- measures
        cast(spend as decimal(18, 6)) as spend,
        impressions,
        clicks,
        cast(purchases as decimal(18, 6)) as platform_conversions,
        cast(purchase_value as decimal(18, 6)) as platform_conversion_value,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
