-- A table, not a view like the other staging models: touchpoints are the one high-volume source,
-- and identity stitching, the stitched touches and the grain tests each read it; as a view, each of
-- them would redo the restatement window over every touch.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('web', 'touchpoints') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['touchpoint_id']) }}

),

renamed as (

    select
        -- ids
        touchpoint_id,
        anonymous_id,
        customer_id,

        -- timestamps
        {{ to_utc_timestamp('occurred_at') }} as occurred_at,

        -- attributes
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        lower(touch_type) as touch_type,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
