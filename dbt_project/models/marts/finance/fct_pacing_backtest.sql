{#
    How good the pacing projection is: for every closed period and budget
    line, the projections made on day 10 and day 20 of the period
    (fct_budget_pacing, which only uses spend up to that day) against the
    final platform spend of the period, for the weekday-and-trend projection
    and for the flat run rate. The absolute percentage error is null when
    the final spend is 0 (there is no error to scale by).
#}

with

budget_pacing as (

    select * from {{ ref('fct_budget_pacing') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

closed_period_pacing as (

    select budget_pacing.*
    from budget_pacing
    inner join periods
        on budget_pacing.fiscal_period = periods.fiscal_period
    where periods.is_closed

),

final_spend as (

    select
        fiscal_period,
        budget_line_id,
        spend_to_date_rc as final_spend_rc
    from closed_period_pacing
    where day_of_period = days_in_period

),

checkpoints as (

    select * from closed_period_pacing
    where day_of_period in (10, 20)

),

backtest as (

    select
        checkpoints.fiscal_period,
        checkpoints.budget_line_id,
        checkpoints.channel,
        checkpoints.day_of_period as checkpoint_day,
        checkpoints.as_of_date as checkpoint_date,
        checkpoints.reporting_currency,
        checkpoints.spend_to_date_rc,
        checkpoints.projection_method,
        checkpoints.projected_spend_rc,
        checkpoints.run_rate_projected_spend_rc,
        final_spend.final_spend_rc,
        cast(
            checkpoints.projected_spend_rc - final_spend.final_spend_rc as decimal(38, 6)
        ) as projection_error_rc,
        cast(
            abs(checkpoints.projected_spend_rc - final_spend.final_spend_rc)
            / nullif(final_spend.final_spend_rc, 0) as double precision
        ) as absolute_pct_error,
        cast(
            abs(checkpoints.run_rate_projected_spend_rc - final_spend.final_spend_rc)
            / nullif(final_spend.final_spend_rc, 0) as double precision
        ) as run_rate_absolute_pct_error
    from checkpoints
    inner join final_spend
        on
            checkpoints.fiscal_period = final_spend.fiscal_period
            and checkpoints.budget_line_id = final_spend.budget_line_id

)

select * from backtest
