with

source as (

    select * from {{ source('crm', 'conversions') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['conversion_id']) }}

),

renamed as (

    select
        -- ids
        conversion_id,
        customer_id,

        -- timestamps
        {{ to_utc_timestamp('converted_at') }} as converted_at,

        -- attributes
        currency,
        lower(conversion_type) as conversion_type,

        -- measures
        cast(revenue as decimal(18, 6)) as revenue,
        cast(gross_margin as decimal(18, 6)) as gross_margin,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
