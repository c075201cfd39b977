{#
    The general-ledger lines that carry a budget line (the booked marketing
    actuals), converted into the reporting currency at their posting date
    (int_fx_rates_as_of: the posting day's rate, else the latest one at most
    fx_max_staleness_days before it). A line without a usable rate is kept
    with has_fx_rate false and a null amount_rc: audit.finance_fx_conversion_errors
    lists it, so it never vanishes silently from the booked actuals.
#}

{#- the rate: 1 for the reporting currency, without a lookup (fx_rate_into_rc) -#}
{%- set fx_rate = fx_rate_into_rc('gl_lines_with_budget_line.currency', 'fx_rates_as_of.rate') -%}

with

gl_journal_lines as (

    select * from {{ ref('stg_erp__gl_journal_lines') }}

),

fx_rates_as_of as (

    select * from {{ ref('int_fx_rates_as_of') }}

),

gl_lines_with_budget_line as (

    select * from gl_journal_lines
    where budget_line_id is not null

),

gl_lines_converted_to_rc as (

    select
        gl_lines_with_budget_line.journal_id,
        gl_lines_with_budget_line.journal_line_id,
        gl_lines_with_budget_line.fiscal_period,
        gl_lines_with_budget_line.budget_line_id,
        gl_lines_with_budget_line.posting_date,
        gl_lines_with_budget_line.gl_account_code,
        gl_lines_with_budget_line.vendor,
        gl_lines_with_budget_line.invoice_id,
        gl_lines_with_budget_line.currency,
        gl_lines_with_budget_line.amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ fx_rate }} as fx_rate,
        coalesce(
            fx_rates_as_of.rate_date_used,
            case when gl_lines_with_budget_line.currency = '{{ var("reporting_currency") }}' then gl_lines_with_budget_line.posting_date end
        ) as fx_rate_date,
        {{ convert_to_rc('gl_lines_with_budget_line.amount', fx_rate) }} as amount_rc,
        {{ fx_rate }} is not null as has_fx_rate,
        gl_lines_with_budget_line.source_file,
        gl_lines_with_budget_line.source_line_number
    from gl_lines_with_budget_line
    left join fx_rates_as_of
        on
            gl_lines_with_budget_line.posting_date = fx_rates_as_of.as_of_date
            and gl_lines_with_budget_line.currency = fx_rates_as_of.currency

)

select * from gl_lines_converted_to_rc
