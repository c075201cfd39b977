{#
    Spend forecasts at quarter end and fiscal-year end per budget line, as of
    the data's as-of date (int_budget_forecast_points, point_kind `current`),
    next to the line's budget for the horizon (the current budgets of its
    months, int_budgets_current via fct_budget_vs_actual) and with an
    interval from the backtest (fct_pacing_backtest, same horizon): with e
    the signed relative errors (projected - final) / final of the backtest's
    forecasts, the final spend is projected / (1 + e), so the interval runs
    from projected / (1 + the 90th percentile of e) to projected / (1 + the
    10th percentile). No closed horizon yet: no interval (null).
    The flat run rate (spend to date / days elapsed x days in the horizon)
    is alongside, with its own backtest error. The backtest MAPEs are means of
    exact (decimal) sums, so every build of the same data gives the same rows.
#}

with

forecast_points as (

    select * from {{ ref('int_budget_forecast_points') }}

),

budget_vs_actual as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

pacing_backtest as (

    select * from {{ ref('fct_pacing_backtest') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

horizon_periods as (

    select
        'quarter' as horizon,
        fiscal_quarter_label as horizon_label,
        fiscal_period
    from periods
    union all
    select
        'fiscal_year' as horizon,
        fiscal_year_label as horizon_label,
        fiscal_period
    from periods

),

horizon_budgets as (

    select
        horizon_periods.horizon,
        horizon_periods.horizon_label,
        budget_vs_actual.budget_line_id,
        sum(budget_vs_actual.budget_rc) as budget_rc
    from budget_vs_actual
    inner join horizon_periods
        on budget_vs_actual.fiscal_period = horizon_periods.fiscal_period
    group by horizon_periods.horizon, horizon_periods.horizon_label, budget_vs_actual.budget_line_id

),

backtest_errors as (

    select
        horizon,
        count(*) as backtest_points,
        percentile_cont(0.1) within group (
            order by (projected_spend_rc - final_spend_rc) / final_spend_rc
        ) as error_p10,
        percentile_cont(0.9) within group (
            order by (projected_spend_rc - final_spend_rc) / final_spend_rc
        ) as error_p90,
        -- means of exact sums: avg() over doubles adds them in an order that varies with
        -- DuckDB's parallelism, so the last bits (and the mart's rows) would vary by build
        {{ exact_sum('absolute_pct_error') }}
        / nullif(count(absolute_pct_error), 0) as mape,
        {{ exact_sum('run_rate_absolute_pct_error') }}
        / nullif(count(run_rate_absolute_pct_error), 0) as run_rate_mape
    from pacing_backtest
    where horizon != 'month' and final_spend_rc > 0
    group by horizon

),

current_forecasts as (

    select * from forecast_points
    where point_kind = 'current'

),

budget_forecast as (

    select
        current_forecasts.budget_line_id,
        current_forecasts.channel,
        current_forecasts.horizon,
        current_forecasts.horizon_label,
        current_forecasts.horizon_first_date,
        current_forecasts.horizon_last_date,
        current_forecasts.forecast_date as as_of_date,
        cast(current_forecasts.days_elapsed as integer) as days_elapsed,
        cast(current_forecasts.days_remaining as integer) as days_remaining,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(coalesce(horizon_budgets.budget_rc, 0) as decimal(38, 12)) as budget_rc,
        cast(current_forecasts.spend_to_date_rc as decimal(38, 12)) as spend_to_date_rc,
        cast(current_forecasts.projected_spend_rc as decimal(38, 6)) as projected_spend_rc,
        {{ roi_decimal_from_double(
            'current_forecasts.projected_spend_rc / (1 + backtest_errors.error_p90)', 38, 6
        ) }} as projected_low_rc,
        {{ roi_decimal_from_double(
            'current_forecasts.projected_spend_rc / (1 + backtest_errors.error_p10)', 38, 6
        ) }} as projected_high_rc,
        cast(current_forecasts.run_rate_projected_spend_rc as decimal(38, 6))
            as run_rate_projected_spend_rc,
        cast(
            current_forecasts.projected_spend_rc
            - coalesce(horizon_budgets.budget_rc, 0) as decimal(38, 6)
        ) as projected_variance_rc,
        cast(
            (current_forecasts.projected_spend_rc - horizon_budgets.budget_rc)
            / nullif(horizon_budgets.budget_rc, 0) as {{ type_double() }}
        ) as projected_variance_pct,
        cast(coalesce(backtest_errors.backtest_points, 0) as integer) as backtest_points,
        cast(backtest_errors.mape as {{ type_double() }}) as backtest_mape,
        cast(backtest_errors.run_rate_mape as {{ type_double() }}) as backtest_run_rate_mape
    from current_forecasts
    left join horizon_budgets
        on
            current_forecasts.horizon = horizon_budgets.horizon
            and current_forecasts.horizon_label = horizon_budgets.horizon_label
            and current_forecasts.budget_line_id = horizon_budgets.budget_line_id
    left join backtest_errors
        on current_forecasts.horizon = backtest_errors.horizon

)

select * from budget_forecast
