with

source as (

    select * from {{ source('erp', 'vendor_invoices') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['invoice_id']) }}

),

renamed as (

    select
        -- ids
        invoice_id,
        platform_account_id,

        -- dates
        billing_period,
        invoice_date,

        -- attributes
        vendor,
        lower(platform) as platform,
        lower(status) as status,
        currency,

        -- measures
        cast(amount as decimal(18, 6)) as amount,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
