{#
    The current budget per fiscal period and budget line: of all budget
    versions for that period and line, the one with the latest approved_at
    (ties, which a plan should not have, go to the greatest budget_version).

    budget_rc converts the amount at the period-start rate
    (int_fx_rates_by_period: as of the period's first day, or as of the
    currency's last rate_date for a period that starts after it, a planning
    rate). A budget without a usable rate keeps a null budget_rc and is
    listed in audit.finance_fx_conversion_errors.
#}

with

budgets as (

    select * from {{ ref('stg_fpa__budgets') }}

),

fx_rates_by_period as (

    select * from {{ ref('int_fx_rates_by_period') }}

),

budget_versions_ranked as (

    select
        *,
        row_number() over (
            partition by fiscal_period, budget_line_id
            order by approved_at desc, budget_version desc
        ) as approval_rank,
        count(*) over (
            partition by fiscal_period, budget_line_id
        ) as budget_version_count
    from budgets

),

budgets_current as (

    select * from budget_versions_ranked
    where approval_rank = 1

),

budgets_current_converted_to_rc as (

    select
        budgets_current.fiscal_period,
        budgets_current.budget_line_id,
        budgets_current.budget_version,
        budgets_current.budget_version_count,
        budgets_current.approved_at,
        budgets_current.approved_by,
        budgets_current.channel,
        budgets_current.currency,
        budgets_current.amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        fx_rates_by_period.period_start_fx_rate as fx_rate,
        fx_rates_by_period.period_start_fx_rate_date as fx_rate_date,
        {{ convert_to_rc(
            'budgets_current.amount', 'fx_rates_by_period.period_start_fx_rate'
        ) }} as budget_rc,
        fx_rates_by_period.period_start_fx_rate is not null as has_fx_rate,
        budgets_current.source_file,
        budgets_current.source_line_number
    from budgets_current
    left join fx_rates_by_period
        on
            budgets_current.fiscal_period = fx_rates_by_period.fiscal_period
            and budgets_current.currency = fx_rates_by_period.currency

)

select * from budgets_current_converted_to_rc
