{#
    Budget pacing for every day of every period up to the data's as-of day,
    per budget line (the lines of fct_budget_vs_actual): spend to date
    (platform spend_rc, as the platforms report it daily) and the projected
    spend at the end of the period, against the current budget.

    The projection, as of day d of the period:
        spend to date + sum over the remaining days r of
            weekday_mean(weekday of r) x recent_week / typical_week
    - weekday_mean(w): mean daily spend on weekday w over the trailing
      window of pacing_profile_weeks x 7 days ending on d (clipped at the
      first day of the data);
    - typical_week: the sum of the seven weekday means (a typical week);
    - recent_week: the spend of the 7 days ending on d.
    So the last week's spend level is spread over the rest of the month with
    the line's weekday shape: a weekday pattern and a recent trend. With less
    than 7 days of history it falls back to the flat run rate (spend to date
    / days elapsed x days in period), also kept for comparison.
    fct_pacing_backtest measures both against the final actuals. Projections
    are estimates: kept to 6 decimals.

    Flight dates: a remaining day counts only as much as the line's campaigns
    still in flight that day spent of the line's last 7 days (dim_campaigns
    start_date / end_date): once a campaign has ended, its share of the
    spend is not projected (a line whose campaigns have all ended projects
    nothing more; with nothing spent in the last 7 days, a day counts fully
    when any of the line's campaigns is in flight). The same weights replace
    the remaining day count of the run-rate projection under a week of
    history; run_rate_projected_spend_rc stays the plain flat run rate.
#}

{%- set profile_days = var('pacing_profile_weeks') | int * 7 -%}
{%- set under_pct = 'cast(' ~ var('pacing_under_pct') ~ ' as decimal(18, 6))' -%}
{%- set over_pct = 'cast(' ~ var('pacing_over_pct') ~ ' as decimal(18, 6))' -%}

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

started_periods as (

    select * from periods
    where period_first_date <= as_of_date

),

paced_budget_lines as (

    select
        budget_vs_actual.fiscal_period,
        budget_vs_actual.budget_line_id,
        budget_vs_actual.channel,
        budget_vs_actual.budget_rc,
        started_periods.as_of_date as data_as_of_date
    from budget_vs_actual
    inner join started_periods
        on budget_vs_actual.fiscal_period = started_periods.fiscal_period

),

pacing_span as (

    select
        min(started_periods.period_first_date) as first_date,
        max(started_periods.period_last_date) as last_date,
        max(started_periods.as_of_date) as as_of_date
    from started_periods
    inner join paced_budget_lines
        on started_periods.fiscal_period = paced_budget_lines.fiscal_period

),

calendar_days as (

    {{ day_spine(
        '(select pacing_span.first_date from pacing_span)',
        '(select pacing_span.last_date from pacing_span)'
    ) }}

),

period_days as (

    select
        calendar_days.date_day,
        {{ day_of_week('calendar_days.date_day') }} as day_of_week,
        started_periods.fiscal_period,
        started_periods.days_in_period,
        {{ dbt.datediff('started_periods.period_first_date', 'calendar_days.date_day', 'day') }}
        + 1 as day_of_period,
        calendar_days.date_day <= started_periods.as_of_date as is_on_or_before_as_of
    from calendar_days
    inner join started_periods
        on {{ month_period_of('calendar_days.date_day') }} = started_periods.fiscal_period

),

budget_lines as (

    select distinct budget_line_id
    from paced_budget_lines

),

budget_line_spend_by_day as (

    select
        budget_line_id,
        spend_date,
        sum(spend_rc) as spend_rc
    from marketing_spend_daily
    where budget_line_id is not null
    group by budget_line_id, spend_date

),

-- every budget line on every day up to the as-of day, 0 where nothing was spent
budget_line_days as (

    select
        budget_lines.budget_line_id,
        period_days.date_day,
        period_days.day_of_week,
        period_days.fiscal_period,
        period_days.days_in_period,
        period_days.day_of_period,
        coalesce(budget_line_spend_by_day.spend_rc, 0) as spend_rc
    from budget_lines
    cross join period_days
    left join budget_line_spend_by_day
        on
            budget_lines.budget_line_id = budget_line_spend_by_day.budget_line_id
            and period_days.date_day = budget_line_spend_by_day.spend_date
    where period_days.is_on_or_before_as_of

),

budget_line_days_to_date as (

    select
        *,
        sum(spend_rc) over (
            partition by budget_line_id, fiscal_period
            order by date_day
            rows between unbounded preceding and current row
        ) as spend_to_date_rc
    from budget_line_days

),

-- per as-of day and weekday: spend and days in the trailing window, and the last 7 days' spend
trailing_weekdays as (

    select
        as_of_days.budget_line_id,
        as_of_days.date_day as as_of_date,
        history_days.day_of_week,
        sum(history_days.spend_rc) as weekday_spend_rc,
        count(*) as weekday_day_count,
        sum(
            case
                when history_days.date_day > {{ dbt.dateadd('day', -7, 'as_of_days.date_day') }}
                    then history_days.spend_rc
                else 0
            end
        ) as recent_week_spend_rc
    from budget_line_days as as_of_days
    inner join budget_line_days as history_days
        on
            as_of_days.budget_line_id = history_days.budget_line_id
            and as_of_days.date_day >= history_days.date_day
            and {{ dbt.dateadd('day', -profile_days, 'as_of_days.date_day') }}
            < history_days.date_day
    group by
        as_of_days.budget_line_id,
        as_of_days.date_day,
        history_days.day_of_week

),

trailing_profiles as (

    select
        budget_line_id,
        as_of_date,
        sum(weekday_day_count) as history_day_count,
        {{ exact_sum(roi_divide('weekday_spend_rc', 'weekday_day_count')) }} as typical_week_spend_rc,
        sum(recent_week_spend_rc) as recent_week_spend_rc
    from trailing_weekdays
    group by budget_line_id, as_of_date

),

-- the budget lines' campaigns and their flights
budget_line_campaigns as (

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

-- per line and as-of day: each campaign's spend of the 7 days ending on it
recent_campaign_spend as (

    select
        as_of_days.budget_line_id,
        as_of_days.date_day as as_of_date,
        campaign_spend_by_day.platform,
        campaign_spend_by_day.campaign_id,
        sum(campaign_spend_by_day.spend_rc) as recent_spend_rc
    from budget_line_days as as_of_days
    inner join campaign_spend_by_day
        on
            as_of_days.budget_line_id = campaign_spend_by_day.budget_line_id
            and as_of_days.date_day >= campaign_spend_by_day.spend_date
            and campaign_spend_by_day.spend_date
            > {{ dbt.dateadd('day', -7, 'as_of_days.date_day') }}
    group by
        as_of_days.budget_line_id,
        as_of_days.date_day,
        campaign_spend_by_day.platform,
        campaign_spend_by_day.campaign_id

),

-- per line, as-of day and remaining day of the period: each of the line's
-- campaigns, in flight that day or not
remaining_day_campaigns as (

    select
        as_of_days.budget_line_id,
        as_of_days.date_day as as_of_date,
        remaining_days.date_day as remaining_date,
        remaining_days.day_of_week,
        budget_line_campaigns.platform,
        budget_line_campaigns.campaign_id,
        (
            budget_line_campaigns.start_date is null
            or budget_line_campaigns.start_date <= remaining_days.date_day
        )
        and (
            budget_line_campaigns.end_date is null
            or remaining_days.date_day <= budget_line_campaigns.end_date
        ) as is_in_flight
    from budget_line_days as as_of_days
    inner join period_days as remaining_days
        on
            as_of_days.fiscal_period = remaining_days.fiscal_period
            and as_of_days.date_day < remaining_days.date_day
    inner join budget_line_campaigns
        on as_of_days.budget_line_id = budget_line_campaigns.budget_line_id

),

remaining_day_spend_in_flight as (

    select
        remaining_day_campaigns.budget_line_id,
        remaining_day_campaigns.as_of_date,
        remaining_day_campaigns.remaining_date,
        remaining_day_campaigns.day_of_week,
        sum(coalesce(recent_campaign_spend.recent_spend_rc, 0)) as recent_spend_rc,
        sum(
            case
                when remaining_day_campaigns.is_in_flight
                    then coalesce(recent_campaign_spend.recent_spend_rc, 0)
                else 0
            end
        ) as in_flight_recent_spend_rc,
        max(case when remaining_day_campaigns.is_in_flight then 1 else 0 end)
            as has_campaign_in_flight
    from remaining_day_campaigns
    left join recent_campaign_spend
        on
            remaining_day_campaigns.budget_line_id = recent_campaign_spend.budget_line_id
            and remaining_day_campaigns.as_of_date = recent_campaign_spend.as_of_date
            and remaining_day_campaigns.platform = recent_campaign_spend.platform
            and remaining_day_campaigns.campaign_id = recent_campaign_spend.campaign_id
    group by
        remaining_day_campaigns.budget_line_id,
        remaining_day_campaigns.as_of_date,
        remaining_day_campaigns.remaining_date,
        remaining_day_campaigns.day_of_week

),

-- per line, as-of day and weekday: the remaining days of its period, each weighted by the share of
-- the line's last 7 days' spend whose campaign is in flight that day
remaining_weekdays as (

    select
        budget_line_id,
        as_of_date,
        day_of_week,
        {{ exact_sum(
            "case when recent_spend_rc = 0 then has_campaign_in_flight"
            ~ " when in_flight_recent_spend_rc = recent_spend_rc then 1"
            ~ " else " ~ roi_divide('in_flight_recent_spend_rc', 'recent_spend_rc') ~ " end"
        ) }} as remaining_day_count
    from remaining_day_spend_in_flight
    group by budget_line_id, as_of_date, day_of_week

),

remaining_days_in_flight as (

    select
        budget_line_id,
        as_of_date,
        sum(remaining_day_count) as remaining_day_count
    from remaining_weekdays
    group by budget_line_id, as_of_date

),

remaining_at_weekday_means as (

    select
        trailing_weekdays.budget_line_id,
        trailing_weekdays.as_of_date,
        {{ exact_sum(
            roi_divide('trailing_weekdays.weekday_spend_rc', 'trailing_weekdays.weekday_day_count')
            ~ " * remaining_weekdays.remaining_day_count"
        ) }} as remaining_spend_rc
    from trailing_weekdays
    inner join remaining_weekdays
        on
            trailing_weekdays.budget_line_id = remaining_weekdays.budget_line_id
            and trailing_weekdays.as_of_date = remaining_weekdays.as_of_date
            and trailing_weekdays.day_of_week = remaining_weekdays.day_of_week
    group by trailing_weekdays.budget_line_id, trailing_weekdays.as_of_date

),

budget_line_day_profiles as (

    select
        budget_line_days_to_date.date_day as as_of_date,
        paced_budget_lines.fiscal_period,
        paced_budget_lines.budget_line_id,
        paced_budget_lines.channel,
        paced_budget_lines.budget_rc,
        paced_budget_lines.data_as_of_date,
        budget_line_days_to_date.day_of_period,
        budget_line_days_to_date.days_in_period,
        budget_line_days_to_date.spend_to_date_rc,
        trailing_profiles.history_day_count,
        trailing_profiles.recent_week_spend_rc,
        trailing_profiles.typical_week_spend_rc,
        coalesce(remaining_at_weekday_means.remaining_spend_rc, 0) as remaining_at_weekday_means_rc,
        coalesce(remaining_days_in_flight.remaining_day_count, 0) as remaining_days_in_flight
    from paced_budget_lines
    inner join budget_line_days_to_date
        on
            paced_budget_lines.fiscal_period = budget_line_days_to_date.fiscal_period
            and paced_budget_lines.budget_line_id = budget_line_days_to_date.budget_line_id
    inner join trailing_profiles
        on
            budget_line_days_to_date.budget_line_id = trailing_profiles.budget_line_id
            and budget_line_days_to_date.date_day = trailing_profiles.as_of_date
    left join remaining_at_weekday_means
        on
            budget_line_days_to_date.budget_line_id = remaining_at_weekday_means.budget_line_id
            and budget_line_days_to_date.date_day = remaining_at_weekday_means.as_of_date
    left join remaining_days_in_flight
        on
            budget_line_days_to_date.budget_line_id = remaining_days_in_flight.budget_line_id
            and budget_line_days_to_date.date_day = remaining_days_in_flight.as_of_date

),

projections as (

    select
        *,
        days_in_period - day_of_period as days_remaining,
        case
            when day_of_period = days_in_period then 'complete'
            when history_day_count < 7 then 'run_rate'
            else 'weekday_trend'
        end as projection_method,
        case
            when day_of_period = days_in_period then 0
            when history_day_count < 7
                then
                    {{ roi_divide('spend_to_date_rc', 'day_of_period') }}
                    * remaining_days_in_flight
            when typical_week_spend_rc = 0 then 0
            else remaining_at_weekday_means_rc * recent_week_spend_rc / typical_week_spend_rc
        end as projected_remaining_rc,
        {{ roi_divide('spend_to_date_rc', 'day_of_period') }} * days_in_period
            as run_rate_projected_spend_rc
    from budget_line_day_profiles

),

projections_against_budget as (

    select
        *,
        spend_to_date_rc + projected_remaining_rc as projected_spend_rc,
        spend_to_date_rc + projected_remaining_rc - budget_rc as projected_variance_rc,
        (spend_to_date_rc + projected_remaining_rc - budget_rc)
        / nullif(budget_rc, 0) as projected_variance_pct
    from projections

),

budget_pacing as (

    select
        as_of_date,
        fiscal_period,
        budget_line_id,
        channel,
        cast(day_of_period as integer) as day_of_period,
        cast(days_in_period as integer) as days_in_period,
        cast(days_remaining as integer) as days_remaining,
        as_of_date = data_as_of_date as is_latest,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(budget_rc as decimal(38, 12)) as budget_rc,
        cast(spend_to_date_rc as decimal(38, 12)) as spend_to_date_rc,
        cast(recent_week_spend_rc as decimal(38, 12)) as recent_week_spend_rc,
        {{ roi_decimal_from_double('typical_week_spend_rc', 38, 6) }} as typical_week_spend_rc,
        projection_method,
        {{ roi_decimal_from_double('projected_spend_rc', 38, 6) }} as projected_spend_rc,
        {{ roi_decimal_from_double('run_rate_projected_spend_rc', 38, 6) }}
            as run_rate_projected_spend_rc,
        {{ roi_decimal_from_double('projected_variance_rc', 38, 6) }} as projected_variance_rc,
        cast(projected_variance_pct as {{ type_double() }}) as projected_variance_pct,
        case
            when budget_rc = 0
                then case when projected_spend_rc > 0 then 'over' else 'on_track' end
            when projected_variance_pct < -{{ under_pct }} then 'under'
            when projected_variance_pct > {{ over_pct }} then 'over'
            else 'on_track'
        end as pacing_status
    from projections_against_budget

)

select * from budget_pacing
