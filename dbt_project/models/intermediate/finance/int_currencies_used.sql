with

spend_unioned as (

    select * from {{ ref('int_spend_unioned') }}

),

conversions as (

    select * from {{ ref('stg_crm__conversions') }}

),

vendor_invoices as (

    select * from {{ ref('stg_erp__vendor_invoices') }}

),

gl_journal_lines as (

    select * from {{ ref('stg_erp__gl_journal_lines') }}

),

budgets as (

    select * from {{ ref('stg_fpa__budgets') }}

),

lift_tests as (

    select * from {{ ref('stg_experiments__lift_tests') }}

),

-- every (currency, first day, last day) an amount may need converting on
currency_date_ranges as (

    select
        currency,
        min(spend_date) as first_date,
        max(spend_date) as last_date
    from spend_unioned
    group by currency

    union all

    select
        currency,
        min(cast(converted_at as date)) as first_date,
        max(cast(converted_at as date)) as last_date
    from conversions
    group by currency

    union all

    select
        currency,
        min({{ period_first_date('billing_period') }}) as first_date,
        max({{ period_last_date('billing_period') }}) as last_date
    from vendor_invoices
    group by currency

    union all

    select
        currency,
        min(invoice_date) as first_date,
        max(invoice_date) as last_date
    from vendor_invoices
    group by currency

    union all

    select
        currency,
        min(posting_date) as first_date,
        max(posting_date) as last_date
    from gl_journal_lines
    group by currency

    union all

    select
        currency,
        min({{ period_first_date('fiscal_period') }}) as first_date,
        max({{ period_last_date('fiscal_period') }}) as last_date
    from budgets
    group by currency

    union all

    select
        currency,
        min(start_date) as first_date,
        max(end_date) as last_date
    from lift_tests
    group by currency

),

currencies_used as (

    select
        currency,
        min(first_date) as first_used_date,
        max(last_date) as last_used_date
    from currency_date_ranges
    group by currency

)

select * from currencies_used
