{#
    The budget's history: per fiscal period x budget line, every approved
    version in approval order (approved_at, then budget_version, the order
    int_budgets_current ranks them in), kept when it is the first (the plan
    that created the line-period, change_type `initial`) or when it changed
    the amount or the currency of the version before it (`increase`,
    `decrease`, `currency_change`). A version that restates the same amount
    is no change and has no row.

    - previous_amount / amount / delta in the budget currency (delta null
      when the currency changed); the _rc columns at the period-start rate of
      each version's currency (int_fx_rates_by_period, as budget_rc is), so
      deltas add up across currencies.
    - The last row of a line-period is its current budget
      (int_budgets_current), so summing delta_rc over a line-period's rows
      gives its current budget_rc.
#}

with

budgets as (

    select * from {{ ref('stg_fpa__budgets') }}

),

fx_rates_by_period as (

    select * from {{ ref('int_fx_rates_by_period') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

budget_versions_ordered as (

    select
        *,
        row_number() over (
            partition by fiscal_period, budget_line_id
            order by approved_at, budget_version
        ) as approval_order
    from budgets

),

budget_versions_converted_to_rc as (

    select
        budget_versions_ordered.*,
        {{ convert_to_rc(
            'budget_versions_ordered.amount', 'fx_rates_by_period.period_start_fx_rate'
        ) }} as amount_rc
    from budget_versions_ordered
    left join fx_rates_by_period
        on
            budget_versions_ordered.fiscal_period = fx_rates_by_period.fiscal_period
            and budget_versions_ordered.currency = fx_rates_by_period.currency

),

budget_versions_with_previous as (

    select
        *,
        lag(budget_version) over (
            partition by fiscal_period, budget_line_id order by approval_order
        ) as previous_budget_version,
        lag(currency) over (
            partition by fiscal_period, budget_line_id order by approval_order
        ) as previous_currency,
        lag(amount) over (
            partition by fiscal_period, budget_line_id order by approval_order
        ) as previous_amount,
        lag(amount_rc) over (
            partition by fiscal_period, budget_line_id order by approval_order
        ) as previous_amount_rc
    from budget_versions_converted_to_rc

),

budget_changes_classified as (

    select
        *,
        case
            when approval_order = 1 then 'initial'
            when currency != previous_currency then 'currency_change'
            when amount > previous_amount then 'increase'
            when amount < previous_amount then 'decrease'
        end as change_type
    from budget_versions_with_previous

),

budget_changes as (

    select
        budget_changes_classified.fiscal_period,
        budget_changes_classified.budget_line_id,
        budget_changes_classified.budget_version,
        periods.fiscal_year,
        periods.fiscal_year_label,
        periods.fiscal_quarter,
        periods.fiscal_quarter_label,
        budget_changes_classified.channel,
        cast(budget_changes_classified.approval_order as integer) as approval_order,
        budget_changes_classified.previous_budget_version,
        budget_changes_classified.approved_at,
        budget_changes_classified.approved_by,
        budget_changes_classified.change_type,
        budget_changes_classified.currency,
        cast(budget_changes_classified.previous_amount as decimal(18, 6)) as previous_amount,
        cast(budget_changes_classified.amount as decimal(18, 6)) as amount,
        cast(
            case
                when budget_changes_classified.change_type = 'initial'
                    then budget_changes_classified.amount
                when budget_changes_classified.change_type != 'currency_change'
                    then
                        budget_changes_classified.amount - budget_changes_classified.previous_amount
            end as decimal(18, 6)
        ) as delta,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(budget_changes_classified.previous_amount_rc as decimal(38, 12)) as previous_amount_rc,
        cast(budget_changes_classified.amount_rc as decimal(38, 12)) as amount_rc,
        cast(
            budget_changes_classified.amount_rc
            - coalesce(budget_changes_classified.previous_amount_rc, 0)
            as decimal(38, 12)
        ) as delta_rc
    from budget_changes_classified
    inner join periods
        on budget_changes_classified.fiscal_period = periods.fiscal_period
    where budget_changes_classified.change_type is not null

)

select * from budget_changes
