{#
    The reporting calendar, the one place periods are decided: one row per
    calendar month (`YYYY-MM`) from the first to the last month any spend,
    invoice, GL line or budget refers to (and the as-of month).

    - as_of_date: the day the data is as of, the `as_of_date` var when set,
      else the latest spend_date. The same on every row; with neither (no
      spend at all) every period is future.
    - A month is closed once as_of_date is more than `period_close_grace_days`
      after its last day (invoices and GL postings arrive after month end),
      open from its first day until then, future before.
    - Fiscal year and quarter follow `fiscal_year_start_month`; a fiscal year
      is named after the calendar year it starts in (start 4: FY2025 =
      2025-04..2026-03, labelled `FY2025-26`; start 1: `FY2025`).
#}

{%- set configured_as_of_date = var('as_of_date') -%}
{%- set fiscal_year_start_month = var('fiscal_year_start_month') | int -%}

with

spend_unioned as (

    select * from {{ ref('int_spend_unioned') }}

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

latest_spend as (

    select max(spend_date) as latest_spend_date
    from spend_unioned

),

data_as_of as (

    select
        coalesce(
            {% if configured_as_of_date -%}
                cast('{{ configured_as_of_date }}' as date)
            {%- else -%}
                cast(null as date)
            {%- endif %},
            latest_spend_date
        ) as as_of_date
    from latest_spend

),

-- every (first day, last day) a period may be needed for
period_date_ranges as (

    select
        min(spend_date) as first_date,
        max(spend_date) as last_date
    from spend_unioned

    union all

    select
        min({{ period_first_date('billing_period') }}) as first_date,
        max({{ period_first_date('billing_period') }}) as last_date
    from vendor_invoices

    union all

    select
        min({{ period_first_date('fiscal_period') }}) as first_date,
        max({{ period_first_date('fiscal_period') }}) as last_date
    from gl_journal_lines

    union all

    select
        min({{ period_first_date('fiscal_period') }}) as first_date,
        max({{ period_first_date('fiscal_period') }}) as last_date
    from budgets

    union all

    select
        as_of_date as first_date,
        as_of_date as last_date
    from data_as_of

),

calendar_span as (

    select
        cast({{ dbt.date_trunc('month', 'min(first_date)') }} as date) as first_date,
        max(last_date) as last_date
    from period_date_ranges

),

calendar_days as (

    {{ day_spine(
        '(select calendar_span.first_date from calendar_span)',
        '(select calendar_span.last_date from calendar_span)'
    ) }}

),

months as (

    select
        {{ month_period_of('date_day') }} as fiscal_period,
        date_day as period_first_date,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as period_last_date,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as month_of_year
    from calendar_days
    where date_day = cast({{ dbt.date_trunc('month', 'date_day') }} as date)

),

months_in_fiscal_years as (

    select
        fiscal_period,
        period_first_date,
        period_last_date,
        case
            when month_of_year >= {{ fiscal_year_start_month }} then calendar_year
            else calendar_year - 1
        end as fiscal_year,
        case
            when month_of_year >= {{ fiscal_year_start_month }}
                then month_of_year - {{ fiscal_year_start_month }} + 1
            else month_of_year - {{ fiscal_year_start_month }} + 13
        end as fiscal_month
    from months

),

fiscal_quarters as (

    select
        *,
        case
            when fiscal_month <= 3 then 1
            when fiscal_month <= 6 then 2
            when fiscal_month <= 9 then 3
            else 4
        end as fiscal_quarter,
        {% if fiscal_year_start_month == 1 -%}
            {{ dbt.concat(["'FY'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")"]) }}
        {%- else -%}
            {{ dbt.concat([
                "'FY'",
                "cast(fiscal_year as " ~ dbt.type_string() ~ ")",
                "'-'",
                dbt.right("cast(fiscal_year + 1 as " ~ dbt.type_string() ~ ")", "2"),
            ]) }}
        {%- endif %} as fiscal_year_label
    from months_in_fiscal_years

),

periods_as_of as (

    select
        fiscal_quarters.fiscal_period,
        fiscal_quarters.period_first_date,
        fiscal_quarters.period_last_date,
        {{ dbt.datediff(
            'fiscal_quarters.period_first_date', 'fiscal_quarters.period_last_date', 'day'
        ) }} + 1 as days_in_period,
        fiscal_quarters.fiscal_year,
        fiscal_quarters.fiscal_year_label,
        fiscal_quarters.fiscal_quarter,
        {{ dbt.concat([
            "fiscal_quarters.fiscal_year_label",
            "' Q'",
            "cast(fiscal_quarters.fiscal_quarter as " ~ dbt.type_string() ~ ")",
        ]) }} as fiscal_quarter_label,
        fiscal_quarters.fiscal_month,
        data_as_of.as_of_date,
        cast({{ dbt.dateadd(
            'day', var('period_close_grace_days'), 'fiscal_quarters.period_last_date'
        ) }} as date) as closes_after_date,
        {{ dbt.datediff(
            'fiscal_quarters.period_first_date', 'data_as_of.as_of_date', 'day'
        ) }} + 1 as days_since_period_start
    from fiscal_quarters
    cross join data_as_of

),

periods as (

    select
        fiscal_period,
        period_first_date,
        period_last_date,
        days_in_period,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        fiscal_quarter_label,
        fiscal_month,
        as_of_date,
        closes_after_date,
        case
            when as_of_date > closes_after_date then 'closed'
            when as_of_date >= period_first_date then 'open'
            else 'future'
        end as period_status,
        coalesce(as_of_date > closes_after_date, false) as is_closed,
        case
            when days_since_period_start is null or days_since_period_start < 0 then 0
            when days_since_period_start > days_in_period then days_in_period
            else days_since_period_start
        end as days_elapsed
    from periods_as_of

)

select * from periods
