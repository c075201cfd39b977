{#
    fct_budget_vs_actual rolled up by channel per month, fiscal quarter and
    fiscal year (fiscal_year_start_month, see int_periods). Money columns are
    sums of the budget-line rows, so each line keeps its booked-else-platform
    actual; the percentages are recomputed from the sums. A quarter or year is
    closed when all its months are; budgets of months not yet started count in
    budget_rc, so compare an open year on its closed months.
#}

with

budget_vs_actual as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

budget_vs_actual_periods as (

    select
        'month' as period_grain,
        fiscal_period as period_label,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        fiscal_period,
        channel,
        is_closed,
        budget_rc,
        platform_actual_rc,
        booked_actual_rc,
        actual_rc
    from budget_vs_actual

    union all

    select
        'quarter' as period_grain,
        fiscal_quarter_label as period_label,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        fiscal_period,
        channel,
        is_closed,
        budget_rc,
        platform_actual_rc,
        booked_actual_rc,
        actual_rc
    from budget_vs_actual

    union all

    select
        'fiscal_year' as period_grain,
        fiscal_year_label as period_label,
        fiscal_year,
        fiscal_year_label,
        cast(null as integer) as fiscal_quarter,
        fiscal_period,
        channel,
        is_closed,
        budget_rc,
        platform_actual_rc,
        booked_actual_rc,
        actual_rc
    from budget_vs_actual

),

rolled_up as (

    select
        period_grain,
        period_label,
        channel,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        min(fiscal_period) as first_fiscal_period,
        max(fiscal_period) as last_fiscal_period,
        count(distinct fiscal_period) as period_count,
        count(distinct case when is_closed then fiscal_period end) as closed_period_count,
        sum(budget_rc) as budget_rc,
        sum(platform_actual_rc) as platform_actual_rc,
        sum(booked_actual_rc) as booked_actual_rc,
        sum(actual_rc) as actual_rc
    from budget_vs_actual_periods
    group by
        period_grain,
        period_label,
        channel,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter

),

rollups as (

    select
        period_grain,
        period_label,
        channel,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        first_fiscal_period,
        last_fiscal_period,
        cast(period_count as integer) as period_count,
        cast(closed_period_count as integer) as closed_period_count,
        period_count = closed_period_count as is_closed,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(budget_rc as decimal(38, 12)) as budget_rc,
        cast(platform_actual_rc as decimal(38, 12)) as platform_actual_rc,
        cast(booked_actual_rc as decimal(38, 12)) as booked_actual_rc,
        cast(actual_rc as decimal(38, 12)) as actual_rc,
        cast(actual_rc - budget_rc as decimal(38, 12)) as variance_rc,
        cast((actual_rc - budget_rc) / nullif(budget_rc, 0) as double precision) as variance_pct,
        actual_rc > budget_rc as is_over_budget
    from rolled_up

)

select * from rollups
