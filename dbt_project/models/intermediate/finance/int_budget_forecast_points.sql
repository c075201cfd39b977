{#
    Spend forecasts beyond the month, per budget line, at quarter end and
    fiscal-year end (fiscal quarters and years of int_periods), made as of:

    - `current`: the data's as-of date, for the quarter and year containing it;
    - `backtest`: the end of each month of a closed quarter but its last (the
      quarter horizon), and the end of each of the first three quarters of a
      closed fiscal year (the year horizon), whose final spend is known.

    The forecast, as of day d, for a horizon ending on day H:
        spend from the horizon's first day to d
        + (spend of the 28 days ending on d / the days of data among them)
          x the remaining days d+1..H, each weighted by the share of those 28
            days' spend whose campaign is in flight that day (any campaign in
            flight: 1 when nothing was spent; see fct_budget_pacing)
    and the flat run rate alongside: spend to d / days elapsed x days in the
    horizon. Spend is platform spend_rc of the line's campaigns.
#}

{%- set trailing_days = 28 -%}

with

periods as (

    select * from {{ ref('int_periods') }}

),

budget_vs_actual as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

marketing_spend_daily as (

    select * from {{ ref('fct_marketing_spend_daily') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

data_span as (

    select
        min(spend_date) as first_spend_date,
        max(spend_date) as last_spend_date
    from marketing_spend_daily

),

horizon_months as (

    select
        'quarter' as horizon,
        fiscal_quarter_label as horizon_label,
        fiscal_period,
        period_first_date,
        period_last_date,
        fiscal_month,
        is_closed,
        as_of_date
    from periods

    union all

    select
        'fiscal_year' as horizon,
        fiscal_year_label as horizon_label,
        fiscal_period,
        period_first_date,
        period_last_date,
        fiscal_month,
        is_closed,
        as_of_date
    from periods

),

horizons as (

    select
        horizon,
        horizon_label,
        min(period_first_date) as horizon_first_date,
        max(period_last_date) as horizon_last_date,
        min(case when is_closed then 1 else 0 end) = 1 as is_closed,
        max(as_of_date) as as_of_date
    from horizon_months
    group by horizon, horizon_label

),

checkpoints as (

    -- backtest: month ends inside closed horizons (every month but the last of
    -- a quarter; the first three quarter ends of a year)
    select
        horizons.horizon,
        horizons.horizon_label,
        horizons.horizon_first_date,
        horizons.horizon_last_date,
        'backtest' as point_kind,
        horizon_months.period_last_date as forecast_date
    from horizons
    inner join horizon_months
        on
            horizons.horizon = horizon_months.horizon
            and horizons.horizon_label = horizon_months.horizon_label
    where
        horizons.is_closed
        and horizon_months.period_last_date < horizons.horizon_last_date
        and (horizons.horizon = 'quarter' or horizon_months.fiscal_month in (3, 6, 9))

    union all

    -- current: the data's as-of date, in the horizon containing it
    select
        horizon,
        horizon_label,
        horizon_first_date,
        horizon_last_date,
        'current' as point_kind,
        as_of_date as forecast_date
    from horizons
    where as_of_date between horizon_first_date and horizon_last_date

),

budget_lines as (

    select distinct
        budget_line_id,
        channel
    from budget_vs_actual

),

forecast_points as (

    select
        budget_lines.budget_line_id,
        budget_lines.channel,
        checkpoints.*,
        cast(
            {{ dbt.dateadd('day', -trailing_days, 'checkpoints.forecast_date') }} as date
        ) as trailing_start_date
    from budget_lines
    cross join checkpoints
    cross join data_span
    where checkpoints.forecast_date >= data_span.first_spend_date

),

line_campaigns as (

    select
        platform,
        campaign_id,
        budget_line_id,
        start_date,
        end_date
    from campaigns
    where budget_line_id is not null

),

campaign_spend_by_day as (

    select
        budget_line_id,
        platform,
        campaign_id,
        spend_date,
        sum(spend_rc) as spend_rc
    from marketing_spend_daily
    where budget_line_id is not null
    group by budget_line_id, platform, campaign_id, spend_date

),

point_campaign_spend as (

    select
        forecast_points.budget_line_id,
        forecast_points.horizon,
        forecast_points.horizon_label,
        forecast_points.forecast_date,
        campaign_spend_by_day.platform,
        campaign_spend_by_day.campaign_id,
        sum(
            case
                when campaign_spend_by_day.spend_date >= forecast_points.horizon_first_date
                    then campaign_spend_by_day.spend_rc
                else 0
            end
        ) as spend_to_date_rc,
        sum(
            case
                when campaign_spend_by_day.spend_date > forecast_points.trailing_start_date
                    then campaign_spend_by_day.spend_rc
                else 0
            end
        ) as trailing_spend_rc
    from forecast_points
    inner join campaign_spend_by_day
        on
            forecast_points.budget_line_id = campaign_spend_by_day.budget_line_id
            and forecast_points.forecast_date >= campaign_spend_by_day.spend_date
            and (
                forecast_points.horizon_first_date <= campaign_spend_by_day.spend_date
                or forecast_points.trailing_start_date < campaign_spend_by_day.spend_date
            )
    group by
        forecast_points.budget_line_id,
        forecast_points.horizon,
        forecast_points.horizon_label,
        forecast_points.forecast_date,
        campaign_spend_by_day.platform,
        campaign_spend_by_day.campaign_id

),

point_spend as (

    select
        budget_line_id,
        horizon,
        horizon_label,
        forecast_date,
        sum(spend_to_date_rc) as spend_to_date_rc,
        sum(trailing_spend_rc) as trailing_spend_rc
    from point_campaign_spend
    group by budget_line_id, horizon, horizon_label, forecast_date

),

remaining_days as (

    {{ day_spine(
        '(select min(forecast_date) from forecast_points)',
        '(select max(horizon_last_date) from forecast_points)'
    ) }}

),

-- every remaining day of every point, with each of the line's campaigns in flight or not
point_remaining_campaigns as (

    select
        forecast_points.budget_line_id,
        forecast_points.horizon,
        forecast_points.horizon_label,
        forecast_points.forecast_date,
        remaining_days.date_day,
        line_campaigns.platform,
        line_campaigns.campaign_id,
        (
            line_campaigns.start_date is null
            or line_campaigns.start_date <= remaining_days.date_day
        )
        and (
            line_campaigns.end_date is null
            or remaining_days.date_day <= line_campaigns.end_date
        ) as is_in_flight
    from forecast_points
    inner join remaining_days
        on
            forecast_points.forecast_date < remaining_days.date_day
            and forecast_points.horizon_last_date >= remaining_days.date_day
    inner join line_campaigns
        on forecast_points.budget_line_id = line_campaigns.budget_line_id

),

point_remaining_days as (

    select
        point_remaining_campaigns.budget_line_id,
        point_remaining_campaigns.horizon,
        point_remaining_campaigns.horizon_label,
        point_remaining_campaigns.forecast_date,
        point_remaining_campaigns.date_day,
        sum(coalesce(point_campaign_spend.trailing_spend_rc, 0)) as trailing_spend_rc,
        sum(
            case
                when point_remaining_campaigns.is_in_flight
                    then coalesce(point_campaign_spend.trailing_spend_rc, 0)
                else 0
            end
        ) as in_flight_trailing_spend_rc,
        max(
            case when point_remaining_campaigns.is_in_flight then 1 else 0 end
        ) as has_campaign_in_flight
    from point_remaining_campaigns
    left join point_campaign_spend
        on
            point_remaining_campaigns.budget_line_id = point_campaign_spend.budget_line_id
            and point_remaining_campaigns.horizon = point_campaign_spend.horizon
            and point_remaining_campaigns.horizon_label = point_campaign_spend.horizon_label
            and point_remaining_campaigns.forecast_date = point_campaign_spend.forecast_date
            and point_remaining_campaigns.platform = point_campaign_spend.platform
            and point_remaining_campaigns.campaign_id = point_campaign_spend.campaign_id
    group by
        point_remaining_campaigns.budget_line_id,
        point_remaining_campaigns.horizon,
        point_remaining_campaigns.horizon_label,
        point_remaining_campaigns.forecast_date,
        point_remaining_campaigns.date_day

),

point_days_in_flight as (

    select
        budget_line_id,
        horizon,
        horizon_label,
        forecast_date,
        {{ exact_sum(
            "case when trailing_spend_rc = 0 then has_campaign_in_flight"
            ~ " when in_flight_trailing_spend_rc = trailing_spend_rc then 1"
            ~ " else " ~ roi_divide('in_flight_trailing_spend_rc', 'trailing_spend_rc') ~ " end"
        ) }} as remaining_days_in_flight
    from point_remaining_days
    group by budget_line_id, horizon, horizon_label, forecast_date

),

horizon_final_spend as (

    select
        forecast_points.budget_line_id,
        forecast_points.horizon,
        forecast_points.horizon_label,
        forecast_points.forecast_date,
        sum(campaign_spend_by_day.spend_rc) as final_spend_rc
    from forecast_points
    inner join campaign_spend_by_day
        on
            forecast_points.budget_line_id = campaign_spend_by_day.budget_line_id
            and campaign_spend_by_day.spend_date between forecast_points.horizon_first_date
            and forecast_points.horizon_last_date
    where forecast_points.point_kind = 'backtest'
    group by
        forecast_points.budget_line_id,
        forecast_points.horizon,
        forecast_points.horizon_label,
        forecast_points.forecast_date

),

forecasts as (

    select
        forecast_points.budget_line_id,
        forecast_points.channel,
        forecast_points.horizon,
        forecast_points.horizon_label,
        forecast_points.horizon_first_date,
        forecast_points.horizon_last_date,
        forecast_points.point_kind,
        forecast_points.forecast_date,
        {{ dbt.datediff(
            'forecast_points.horizon_first_date', 'forecast_points.forecast_date', 'day'
        ) }} + 1 as days_elapsed,
        {{ dbt.datediff(
            'forecast_points.forecast_date', 'forecast_points.horizon_last_date', 'day'
        ) }} as days_remaining,
        {{ dbt.datediff(
            'forecast_points.horizon_first_date', 'forecast_points.horizon_last_date', 'day'
        ) }} + 1 as days_in_horizon,
        least(
            {{ trailing_days }},
            {{ dbt.datediff(
                'data_span.first_spend_date', 'forecast_points.forecast_date', 'day'
            ) }} + 1
        ) as trailing_window_days,
        coalesce(point_spend.spend_to_date_rc, 0) as spend_to_date_rc,
        coalesce(point_spend.trailing_spend_rc, 0) as trailing_spend_rc,
        coalesce(point_days_in_flight.remaining_days_in_flight, 0) as remaining_days_in_flight,
        horizon_final_spend.final_spend_rc
    from forecast_points
    cross join data_span
    left join point_spend
        on
            forecast_points.budget_line_id = point_spend.budget_line_id
            and forecast_points.horizon = point_spend.horizon
            and forecast_points.horizon_label = point_spend.horizon_label
            and forecast_points.forecast_date = point_spend.forecast_date
    left join point_days_in_flight
        on
            forecast_points.budget_line_id = point_days_in_flight.budget_line_id
            and forecast_points.horizon = point_days_in_flight.horizon
            and forecast_points.horizon_label = point_days_in_flight.horizon_label
            and forecast_points.forecast_date = point_days_in_flight.forecast_date
    left join horizon_final_spend
        on
            forecast_points.budget_line_id = horizon_final_spend.budget_line_id
            and forecast_points.horizon = horizon_final_spend.horizon
            and forecast_points.horizon_label = horizon_final_spend.horizon_label
            and forecast_points.forecast_date = horizon_final_spend.forecast_date

),

forecasts_projected as (

    select
        *,
        spend_to_date_rc
        + trailing_spend_rc / trailing_window_days * remaining_days_in_flight as projected_spend_rc,
        spend_to_date_rc / days_elapsed * days_in_horizon as run_rate_projected_spend_rc
    from forecasts

)

select * from forecasts_projected
