with

source as (

    select * from {{ source('treasury', 'fx_rates') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['rate_date', 'from_currency', 'to_currency']) }}

),

renamed as (

    select
        -- grain
        rate_date,
        from_currency,
        to_currency,

        -- measures
        cast(rate as decimal(18, 10)) as rate,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
