with

source as (

    select * from {{ source('linkedin_ads', 'campaign_analytics') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['day', 'account_id', 'campaign_urn']) }}

),

renamed as (

    select
        -- grain
        day as spend_date,
        account_id,
        -- urn:li:sponsoredCampaign:<id> -> <id>, the id the campaign file uses
        {{ dbt.split_part('campaign_urn', "':'", 4) }} as campaign_id,

        -- attributes
        campaign_urn,
        campaign_name,
        account_currency as currency,

        -- measures
        cast(cost_in_local_currency as decimal(18, 6)) as spend,
        impressions,
        clicks,
        cast(external_website_conversions as decimal(18, 6)) as platform_conversions,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
