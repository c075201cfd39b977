with

source as (

    select * from {{ source('erp', 'gl_journal_lines') }}

),

latest_versions as (

    {{ keep_latest_version('source', ['journal_id', 'line_id']) }}

),

renamed as (

    select
        -- ids
        journal_id,
        line_id as journal_line_id,
        budget_line_id,
        invoice_id,

        -- dates
        posting_date,
        fiscal_period,

        -- attributes
        account_code as gl_account_code,
        account_name as gl_account_name,
        cost_center,
        vendor,
        currency,
        memo,

        -- measures
        cast(amount as decimal(18, 6)) as amount,

        -- lineage
        _source_file as source_file,
        _line_number as source_line_number

    from latest_versions

)

select * from renamed
