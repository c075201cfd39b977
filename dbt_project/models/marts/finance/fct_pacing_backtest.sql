{#
    How good the pacing projection is: for every closed period and budget
    line, the projections made on day 10 and day 20 of the period
    (fct_budget_pacing, which only uses spend up to that day) against the
    final platform spend of the period, for the weekday-and-trend projection
    and for the flat run rate. The absolute percentage error is null when
    the final spend is 0 (there is no error to scale by).

    horizon `month` is that; horizons `quarter` and `fiscal_year` score the
    forecasts of int_budget_forecast_points made at month ends inside closed
    quarters and at quarter ends inside closed fiscal years against the
    horizon's final spend (projection_method `trailing_28_days`; fiscal_period
    and checkpoint_day are the forecast's month and day).
#}

with

budget_pacing as (

    select * from {{ ref('fct_budget_pacing') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

forecast_points as (

    select * from {{ ref('int_budget_forecast_points') }}

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
            / nullif(final_spend.final_spend_rc, 0) as {{ type_double() }}
        ) as absolute_pct_error,
        cast(
            abs(checkpoints.run_rate_projected_spend_rc - final_spend.final_spend_rc)
            / nullif(final_spend.final_spend_rc, 0) as {{ type_double() }}
        ) as run_rate_absolute_pct_error
    from checkpoints
    inner join final_spend
        on
            checkpoints.fiscal_period = final_spend.fiscal_period
            and checkpoints.budget_line_id = final_spend.budget_line_id

),

month_backtest as (

    select
        *,
        'month' as horizon,
        fiscal_period as horizon_label
    from backtest

),

horizon_backtest as (

    select
        {{ month_period_of('forecast_date') }} as fiscal_period,
        budget_line_id,
        channel,
        cast(extract(day from forecast_date) as integer) as checkpoint_day,
        forecast_date as checkpoint_date,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(spend_to_date_rc as decimal(38, 12)) as spend_to_date_rc,
        'trailing_28_days' as projection_method,
        cast(projected_spend_rc as decimal(38, 6)) as projected_spend_rc,
        cast(run_rate_projected_spend_rc as decimal(38, 6)) as run_rate_projected_spend_rc,
        cast(coalesce(final_spend_rc, 0) as decimal(38, 12)) as final_spend_rc,
        cast(projected_spend_rc - coalesce(final_spend_rc, 0) as decimal(38, 6))
            as projection_error_rc,
        cast(
            abs(projected_spend_rc - final_spend_rc) / nullif(final_spend_rc, 0) as {{ type_double() }}
        ) as absolute_pct_error,
        cast(
            abs(run_rate_projected_spend_rc - final_spend_rc)
            / nullif(final_spend_rc, 0) as {{ type_double() }}
        ) as run_rate_absolute_pct_error,
        horizon,
        horizon_label
    from forecast_points
    where point_kind = 'backtest'

),

backtest_all_horizons as (

    select * from month_backtest

    union all

    select * from horizon_backtest

)

select * from backtest_all_horizons
