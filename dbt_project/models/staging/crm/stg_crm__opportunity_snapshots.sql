with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['opportunity_id', 'updated_at']) }}

),

renamed as (

    select
        -- ids
        opportunity_id,
        customer_id,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        expected_close_date,

        -- attributes
        -- `stage` is the contract's column name, though a keyword
        lower(stage) as stage,  -- noqa: RF04
        currency,
        is_closed,
        is_won,

        -- measures
        cast(amount as decimal(18, 6)) as amount,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
