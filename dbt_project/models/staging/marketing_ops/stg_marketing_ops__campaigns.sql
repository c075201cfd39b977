with

source as (

    select * from {{ source('marketing_ops', 'campaigns') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['platform', 'campaign_id']) }}

),

renamed as (

    select
        -- grain
        lower(platform) as platform,
        campaign_id,

        -- attributes
        campaign_name,
        lower(channel) as channel,
        budget_line_id,
        utm_campaign,
        start_date,
        end_date,
        owner_team,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
