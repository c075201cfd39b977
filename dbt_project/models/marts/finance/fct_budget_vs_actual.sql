{#
    Budget against actuals per fiscal period x budget line: every period and
    line with a current budget, platform spend or booked GL lines.

    - budget: the current budget (int_budgets_current: latest approved_at),
      at its period-start rate; 0 when the line has no budget for the period.
    - platform actual: spend_rc of the campaigns mapped to the budget line.
    - booked actual: GL lines carrying the budget line, any currency, each
      converted at its posting date (int_gl_lines_converted_to_rc).
    - actual: booked once the period has booked lines for this budget line,
      platform spend until then; variance = actual - budget.
    - tracking (closed periods only): the platform actual is within
      tracking_tolerance_pct of the booked actual (booked 0: only platform 0).
    - unbudgeted_platform_rc: the part of the platform actual no budget
      authorises (fct_unbudgeted_spend: outside the campaign's flight dates,
      or no current budget for the period). Spend on campaigns without a
      budget line is in no row here (fct_budget_vs_actual_by_channel shows it
      as its `unbudgeted` row).
#}

{%- set tracking_tolerance_pct = 'cast(' ~ var('tracking_tolerance_pct') ~ ' as decimal(18, 6))' -%}

with

budgets_current as (

    select * from {{ ref('int_budgets_current') }}

),

marketing_spend_daily as (

    select * from {{ ref('fct_marketing_spend_daily') }}

),

gl_lines_converted_to_rc as (

    select * from {{ ref('int_gl_lines_converted_to_rc') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

unbudgeted_spend as (

    select * from {{ ref('fct_unbudgeted_spend') }}

),

unbudgeted_on_budget_lines as (

    select
        fiscal_period,
        budget_line_id,
        sum(spend_rc) as unbudgeted_platform_rc
    from unbudgeted_spend
    where budget_line_id is not null
    group by fiscal_period, budget_line_id

),

platform_actuals as (

    select
        {{ month_period_of('spend_date') }} as fiscal_period,
        budget_line_id,
        sum(spend_rc) as platform_actual_rc
    from marketing_spend_daily
    where budget_line_id is not null
    group by {{ month_period_of('spend_date') }}, budget_line_id

),

booked_actuals as (

    select
        fiscal_period,
        budget_line_id,
        sum(amount_rc) as booked_actual_rc,
        count(*) as booked_line_count,
        count(case when not has_fx_rate then 1 end) as unconverted_booked_line_count
    from gl_lines_converted_to_rc
    group by fiscal_period, budget_line_id

),

budget_line_period_keys as (

    select
        fiscal_period,
        budget_line_id
    from budgets_current

    union all

    select
        fiscal_period,
        budget_line_id
    from platform_actuals

    union all

    select
        fiscal_period,
        budget_line_id
    from booked_actuals

),

budget_line_periods as (

    select distinct
        fiscal_period,
        budget_line_id
    from budget_line_period_keys

),

budget_lines as (

    select distinct budget_line_id
    from budget_line_period_keys

),

-- a line's channel: from its most recently approved budget, else its campaigns
budget_channels_ranked as (

    select
        budget_line_id,
        channel,
        row_number() over (
            partition by budget_line_id
            order by approved_at desc, fiscal_period desc
        ) as channel_rank
    from budgets_current
    where channel is not null

),

campaign_channels as (

    select
        budget_line_id,
        case when count(distinct channel) = 1 then min(channel) else 'mixed' end as channel
    from campaigns
    where budget_line_id is not null and channel != 'unmapped'
    group by budget_line_id

),

budget_line_channels as (

    select
        budget_lines.budget_line_id,
        coalesce(budget_channels_ranked.channel, campaign_channels.channel, 'unmapped') as channel
    from budget_lines
    left join budget_channels_ranked
        on
            budget_lines.budget_line_id = budget_channels_ranked.budget_line_id
            and budget_channels_ranked.channel_rank = 1
    left join campaign_channels
        on budget_lines.budget_line_id = campaign_channels.budget_line_id

),

budget_line_periods_joined as (

    select
        budget_line_periods.fiscal_period,
        budget_line_periods.budget_line_id,
        budget_line_channels.channel,
        periods.fiscal_year,
        periods.fiscal_year_label,
        periods.fiscal_quarter,
        periods.fiscal_quarter_label,
        periods.period_status,
        periods.is_closed,
        budgets_current.budget_version,
        budgets_current.currency as budget_currency,
        budgets_current.amount as budget_amount,
        budgets_current.fx_rate as budget_fx_rate,
        budgets_current.fx_rate_date as budget_fx_rate_date,
        case
            when budgets_current.budget_line_id is null then 0
            else budgets_current.budget_rc
        end as budget_rc,
        coalesce(platform_actuals.platform_actual_rc, 0) as platform_actual_rc,
        coalesce(booked_actuals.booked_actual_rc, 0) as booked_actual_rc,
        coalesce(booked_actuals.booked_line_count, 0) as booked_line_count,
        coalesce(booked_actuals.unconverted_booked_line_count, 0) as unconverted_booked_line_count,
        coalesce(unbudgeted_on_budget_lines.unbudgeted_platform_rc, 0) as unbudgeted_platform_rc
    from budget_line_periods
    inner join periods
        on budget_line_periods.fiscal_period = periods.fiscal_period
    inner join budget_line_channels
        on budget_line_periods.budget_line_id = budget_line_channels.budget_line_id
    left join budgets_current
        on
            budget_line_periods.fiscal_period = budgets_current.fiscal_period
            and budget_line_periods.budget_line_id = budgets_current.budget_line_id
    left join platform_actuals
        on
            budget_line_periods.fiscal_period = platform_actuals.fiscal_period
            and budget_line_periods.budget_line_id = platform_actuals.budget_line_id
    left join booked_actuals
        on
            budget_line_periods.fiscal_period = booked_actuals.fiscal_period
            and budget_line_periods.budget_line_id = booked_actuals.budget_line_id
    left join unbudgeted_on_budget_lines
        on
            budget_line_periods.fiscal_period = unbudgeted_on_budget_lines.fiscal_period
            and budget_line_periods.budget_line_id = unbudgeted_on_budget_lines.budget_line_id

),

actuals_chosen as (

    select
        *,
        case
            when booked_line_count > 0 then booked_actual_rc
            else platform_actual_rc
        end as actual_rc,
        case
            when booked_line_count > 0 then 'booked'
            else 'platform'
        end as actual_source
    from budget_line_periods_joined

),

budget_vs_actual as (

    select
        fiscal_period,
        budget_line_id,
        channel,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        fiscal_quarter_label,
        period_status,
        is_closed,
        budget_version,
        budget_currency,
        cast(budget_amount as decimal(18, 6)) as budget_amount,
        cast(budget_fx_rate as {{ type_fx_rate() }}) as budget_fx_rate,
        budget_fx_rate_date,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(budget_rc as decimal(38, 12)) as budget_rc,
        cast(platform_actual_rc as decimal(38, 12)) as platform_actual_rc,
        cast(booked_actual_rc as decimal(38, 12)) as booked_actual_rc,
        cast(booked_line_count as integer) as booked_line_count,
        cast(unconverted_booked_line_count as integer) as unconverted_booked_line_count,
        cast(actual_rc as decimal(38, 12)) as actual_rc,
        actual_source,
        cast(actual_rc - budget_rc as decimal(38, 12)) as variance_rc,
        cast((actual_rc - budget_rc) / nullif(budget_rc, 0) as {{ type_double() }}) as variance_pct,
        actual_rc > budget_rc as is_over_budget,
        cast(
            (platform_actual_rc - booked_actual_rc) / nullif(booked_actual_rc, 0)
            as {{ type_double() }}
        ) as platform_vs_booked_pct,
        case
            when is_closed
                then
                    abs(platform_actual_rc - booked_actual_rc)
                    <= {{ tracking_tolerance_pct }} * abs(booked_actual_rc)
        end as is_tracked,
        cast(unbudgeted_platform_rc as decimal(38, 12)) as unbudgeted_platform_rc
    from actuals_chosen

)

select * from budget_vs_actual
