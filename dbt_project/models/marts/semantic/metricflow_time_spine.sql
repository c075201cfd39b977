{#
    MetricFlow's time spine: one row per day of the reporting calendar
    (`int_periods`: every month any spend, invoice, GL line or budget refers
    to), with the fiscal quarter and fiscal year each day falls in, so the
    semantic layer groups any metric by fiscal period exactly as the finance
    marts do (`fiscal_year_start_month`). The fiscal columns are the first day
    of the period, as MetricFlow's custom granularities want; the labels are
    the marts' (`FY2025`, `FY2025 Q1`).
#}

with

periods as (

    select * from {{ ref('int_periods') }}

),

calendar_span as (

    select
        min(period_first_date) as first_date,
        max(period_last_date) as last_date
    from periods

),

calendar_days as (

    {{ day_spine(
        '(select calendar_span.first_date from calendar_span)',
        '(select calendar_span.last_date from calendar_span)'
    ) }}

),

fiscal_period_starts as (

    select
        fiscal_period,
        fiscal_year_label,
        fiscal_quarter_label,
        cast({{ dbt.dateadd(
            'month', '1 - fiscal_month', 'period_first_date'
        ) }} as date) as fiscal_year_first_date,
        cast({{ dbt.dateadd(
            'month', '1 - (fiscal_month - 3 * (fiscal_quarter - 1))', 'period_first_date'
        ) }} as date) as fiscal_quarter_first_date
    from periods

),

days_in_fiscal_periods as (

    select
        calendar_days.date_day,
        fiscal_period_starts.fiscal_period,
        fiscal_period_starts.fiscal_quarter_first_date as fiscal_quarter,
        fiscal_period_starts.fiscal_year_first_date as fiscal_year,
        fiscal_period_starts.fiscal_quarter_label,
        fiscal_period_starts.fiscal_year_label
    from calendar_days
    inner join fiscal_period_starts
        on {{ month_period_of('calendar_days.date_day') }} = fiscal_period_starts.fiscal_period

)

select * from days_in_fiscal_periods
