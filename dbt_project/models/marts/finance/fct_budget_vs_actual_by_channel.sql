{#
    fct_budget_vs_actual rolled up by channel per month, fiscal quarter and
    fiscal year (fiscal_year_start_month, see int_periods). Money columns are
    sums of the budget-line rows, so each line keeps its booked-else-platform
    actual; the percentages are recomputed from the sums. A quarter or year is
    closed when all its months are; budgets of months not yet started count in
    budget_rc, so compare an open year on its closed months.

    Every period also has an `unbudgeted` row (when there is such spend): spend
    on campaigns without a budget line (fct_unbudgeted_spend, reason
    no_budget_line), budget 0, booked 0, actual = that spend. So, per period,
    the platform actuals of all rows add up to total spend
    (fct_marketing_spend_daily), and unbudgeted_rc, the spend no budget
    authorises (that row's, plus the budget lines' spend outside flight dates
    or without a current budget), adds up to fct_unbudgeted_spend.
#}

with

budget_vs_actual_lines as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

unbudgeted_spend as (

    select * from {{ ref('fct_unbudgeted_spend') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

spend_without_budget_line as (

    select
        fiscal_period,
        sum(spend_rc) as spend_rc
    from unbudgeted_spend
    where reason = 'no_budget_line'
    group by fiscal_period

),

budget_vs_actual as (

    select
        fiscal_period,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        fiscal_quarter_label,
        channel,
        is_closed,
        budget_rc,
        platform_actual_rc,
        booked_actual_rc,
        actual_rc,
        unbudgeted_platform_rc as unbudgeted_rc
    from budget_vs_actual_lines

    union all

    select
        periods.fiscal_period,
        periods.fiscal_year,
        periods.fiscal_year_label,
        periods.fiscal_quarter,
        periods.fiscal_quarter_label,
        'unbudgeted' as channel,
        periods.is_closed,
        0 as budget_rc,
        spend_without_budget_line.spend_rc as platform_actual_rc,
        0 as booked_actual_rc,
        spend_without_budget_line.spend_rc as actual_rc,
        spend_without_budget_line.spend_rc as unbudgeted_rc
    from spend_without_budget_line
    inner join periods
        on spend_without_budget_line.fiscal_period = periods.fiscal_period

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
        actual_rc,
        unbudgeted_rc
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
        actual_rc,
        unbudgeted_rc
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
        actual_rc,
        unbudgeted_rc
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
        sum(actual_rc) as actual_rc,
        sum(unbudgeted_rc) as unbudgeted_rc
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
        cast((actual_rc - budget_rc) / nullif(budget_rc, 0) as {{ type_double() }}) as variance_pct,
        actual_rc > budget_rc as is_over_budget,
        cast(unbudgeted_rc as decimal(38, 12)) as unbudgeted_rc
    from rolled_up

)

select * from rollups
