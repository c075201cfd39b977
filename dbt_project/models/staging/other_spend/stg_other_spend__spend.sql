with

source as (

    select * from {{ source('other_spend', 'spend') }}

),

latest_versions as (

    {{ keep_latest_version(
        'source', ['spend_date', 'source_system', 'account_id', 'campaign_id']
    ) }}

),

renamed as (

    select
        -- grain
        spend_date,
        lower(source_system) as platform,
        account_id,
        campaign_id,

        -- attributes
        campaign_name,
        currency,

        -- measures
        cast(spend as decimal(18, 6)) as spend,
        impressions,
        clicks,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
