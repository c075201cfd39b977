{#
    Spend that no budget authorises, per day x platform x campaign, with the
    reason (the first that applies, in this order):

    - no_budget_line: the campaign has no budget line (in the campaign file
      without one, or not in the campaign file at all: channel unmapped);
    - outside_flight_dates: the day is before the campaign's start_date or
      after its end_date;
    - no_current_budget: the campaign's budget line has no approved budget
      for the period (int_budgets_current has no row for the line and month;
      an approved budget of 0 is a budget, and spend against it is over
      budget, not unbudgeted).

    Spend is fct_marketing_spend_daily's (converted at the day's rate), summed
    over the campaign's accounts. fct_budget_vs_actual counts the last two
    reasons in its lines' platform actuals (unbudgeted_platform_rc); the
    roll-up fct_budget_vs_actual_by_channel adds an `unbudgeted` row per
    period for the first, so its platform actuals add up to total spend.
#}

with

marketing_spend_daily as (

    select * from {{ ref('fct_marketing_spend_daily') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

budgets_current as (

    select * from {{ ref('int_budgets_current') }}

),

campaign_spend_by_day as (

    select
        spend_date,
        {{ month_period_of('spend_date') }} as fiscal_period,
        platform,
        campaign_id,
        min(currency) as min_currency,
        max(currency) as max_currency,
        sum(spend) as spend,
        sum(spend_rc) as spend_rc
    from marketing_spend_daily
    group by spend_date, {{ month_period_of('spend_date') }}, platform, campaign_id

),

campaign_spend_authorised as (

    select
        campaign_spend_by_day.spend_date,
        campaign_spend_by_day.fiscal_period,
        campaign_spend_by_day.platform,
        campaign_spend_by_day.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.budget_line_id,
        campaigns.owner_team,
        campaigns.start_date as campaign_start_date,
        campaigns.end_date as campaign_end_date,
        case
            when campaign_spend_by_day.min_currency = campaign_spend_by_day.max_currency
                then campaign_spend_by_day.min_currency
        end as currency,
        case
            when campaign_spend_by_day.min_currency = campaign_spend_by_day.max_currency
                then campaign_spend_by_day.spend
        end as spend,
        campaign_spend_by_day.spend_rc,
        case
            when campaigns.budget_line_id is null then 'no_budget_line'
            when
                campaign_spend_by_day.spend_date < campaigns.start_date
                or campaign_spend_by_day.spend_date > campaigns.end_date
                then 'outside_flight_dates'
            when budgets_current.budget_line_id is null then 'no_current_budget'
        end as reason
    from campaign_spend_by_day
    inner join campaigns
        on
            campaign_spend_by_day.platform = campaigns.platform
            and campaign_spend_by_day.campaign_id = campaigns.campaign_id
    left join budgets_current
        on
            campaign_spend_by_day.fiscal_period = budgets_current.fiscal_period
            and campaigns.budget_line_id = budgets_current.budget_line_id

),

unbudgeted_spend as (

    select
        spend_date,
        fiscal_period,
        platform,
        campaign_id,
        campaign_name,
        channel,
        budget_line_id,
        owner_team,
        campaign_start_date,
        campaign_end_date,
        reason,
        currency,
        cast(spend as decimal(38, 6)) as spend,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(spend_rc as decimal(38, 12)) as spend_rc
    from campaign_spend_authorised
    where reason is not null

)

select * from unbudgeted_spend
