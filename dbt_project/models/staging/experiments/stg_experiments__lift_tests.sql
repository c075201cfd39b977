with

source as (

    select * from {{ source('experiments', 'lift_tests') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['test_id']) }}

),

renamed as (

    select
        -- ids
        test_id as lift_test_id,

        -- attributes
        lower(channel) as channel,
        start_date,
        end_date,
        currency,

        -- measures
        cast(spend as decimal(18, 6)) as spend,
        cast(incremental_revenue as decimal(18, 6)) as incremental_revenue,
        cast(ci_low as decimal(18, 6)) as incremental_revenue_ci_low,
        cast(ci_high as decimal(18, 6)) as incremental_revenue_ci_high,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
