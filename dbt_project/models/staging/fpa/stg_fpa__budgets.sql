with

source as (

    select * from {{ source('fpa', 'budgets') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['budget_version', 'fiscal_period', 'budget_line_id']) }}

),

renamed as (

    select
        -- grain
        budget_version,
        fiscal_period,
        budget_line_id,

        -- timestamps
        {{ to_utc_timestamp('approved_at') }} as approved_at,

        -- attributes
        lower(channel) as channel,
        currency,
        approved_by,

        -- measures
        cast(amount as decimal(18, 6)) as amount,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
