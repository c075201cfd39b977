{#
    Team accountability: per owner team (dim_campaigns.owner_team; campaigns
    without one count as `unassigned`) x month, the budget the team's
    campaigns spend against, their actual, the variance, and what they
    earned under the preferred attribution model (var
    preferred_attribution_model, config attribution.preferred_model).

    Budgets and actuals are per budget line; a line shared by several teams
    (e.g. BL-SEARCH: the US and EU performance teams) is split by each team's
    share of the line's platform spend that month (equal shares when the line
    spent nothing), so the teams' budgets and actuals add up to the lines'
    (fct_budget_vs_actual). Spend on campaigns without a budget line has no
    budget and no line actual; it is in spend_rc (all the team's spend, the
    ROI's denominator) and unbudgeted_rc.

    - actual_rc: the lines' booked-else-platform actual, by the team's share;
    - attributed_revenue_rc / attributed_margin_rc: fct_roi_by_campaign of
      the team's campaigns; roi = (margin - spend) / spend, roas = revenue /
      spend, null without spend.
#}

with

budget_vs_actual as (

    select * from {{ ref('fct_budget_vs_actual') }}

),

marketing_spend_daily as (

    select * from {{ ref('fct_marketing_spend_daily') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

roi_by_campaign as (

    select * from {{ ref('fct_roi_by_campaign') }}

),

unbudgeted_spend as (

    select * from {{ ref('fct_unbudgeted_spend') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

campaign_teams as (

    select
        platform,
        campaign_id,
        budget_line_id,
        coalesce(owner_team, 'unassigned') as owner_team
    from campaigns

),

team_line_spend as (

    select
        {{ month_period_of('marketing_spend_daily.spend_date') }} as fiscal_period,
        campaign_teams.budget_line_id,
        campaign_teams.owner_team,
        sum(marketing_spend_daily.spend_rc) as spend_rc
    from marketing_spend_daily
    inner join campaign_teams
        on
            marketing_spend_daily.platform = campaign_teams.platform
            and marketing_spend_daily.campaign_id = campaign_teams.campaign_id
    group by
        {{ month_period_of('marketing_spend_daily.spend_date') }},
        campaign_teams.budget_line_id,
        campaign_teams.owner_team

),

line_teams as (

    select distinct
        budget_line_id,
        owner_team
    from campaign_teams
    where budget_line_id is not null

),

-- each team's share of each line-month: its share of the line's spend, equal shares without spend
team_line_shares as (

    select
        budget_vs_actual.fiscal_period,
        budget_vs_actual.budget_line_id,
        line_teams.owner_team,
        case
            when
                sum(coalesce(team_line_spend.spend_rc, 0)) over (
                    partition by budget_vs_actual.fiscal_period, budget_vs_actual.budget_line_id
                ) > 0
                then
                    {{ roi_divide(
                        'coalesce(team_line_spend.spend_rc, 0)',
                        'sum(coalesce(team_line_spend.spend_rc, 0)) over (partition by '
                        ~ 'budget_vs_actual.fiscal_period, budget_vs_actual.budget_line_id)'
                    ) }}
            else cast(1 as {{ type_double() }}) / count(*) over (
                partition by budget_vs_actual.fiscal_period, budget_vs_actual.budget_line_id
            )
        end as team_share,
        budget_vs_actual.budget_rc,
        budget_vs_actual.actual_rc
    from budget_vs_actual
    inner join line_teams
        on budget_vs_actual.budget_line_id = line_teams.budget_line_id
    left join team_line_spend
        on
            budget_vs_actual.fiscal_period = team_line_spend.fiscal_period
            and budget_vs_actual.budget_line_id = team_line_spend.budget_line_id
            and line_teams.owner_team = team_line_spend.owner_team

),

team_budgets as (

    select
        fiscal_period,
        owner_team,
        {{ exact_sum('budget_rc * team_share') }} as budget_rc,
        {{ exact_sum('actual_rc * team_share') }} as actual_rc
    from team_line_shares
    group by fiscal_period, owner_team

),

team_spend as (

    select
        fiscal_period,
        owner_team,
        sum(spend_rc) as spend_rc
    from team_line_spend
    group by fiscal_period, owner_team

),

team_unbudgeted as (

    select
        unbudgeted_spend.fiscal_period,
        campaign_teams.owner_team,
        sum(unbudgeted_spend.spend_rc) as unbudgeted_rc
    from unbudgeted_spend
    inner join campaign_teams
        on
            unbudgeted_spend.platform = campaign_teams.platform
            and unbudgeted_spend.campaign_id = campaign_teams.campaign_id
    group by unbudgeted_spend.fiscal_period, campaign_teams.owner_team

),

team_attribution as (

    select
        roi_by_campaign.period as fiscal_period,
        campaign_teams.owner_team,
        {{ exact_sum('roi_by_campaign.conversions') }} as conversions,
        sum(roi_by_campaign.attributed_revenue_rc) as attributed_revenue_rc,
        sum(roi_by_campaign.attributed_margin_rc) as attributed_margin_rc
    from roi_by_campaign
    inner join campaign_teams
        on
            roi_by_campaign.platform = campaign_teams.platform
            and roi_by_campaign.campaign_id = campaign_teams.campaign_id
    where roi_by_campaign.attribution_model = '{{ var("preferred_attribution_model") }}'
    group by roi_by_campaign.period, campaign_teams.owner_team

),

team_periods as (

    select
        fiscal_period,
        owner_team
    from team_budgets
    union
    select
        fiscal_period,
        owner_team
    from team_spend
    union
    select
        fiscal_period,
        owner_team
    from team_attribution

),

team_performance as (

    select
        team_periods.owner_team,
        team_periods.fiscal_period,
        periods.fiscal_year_label,
        periods.fiscal_quarter_label,
        periods.is_closed,
        '{{ var("preferred_attribution_model") }}' as attribution_model,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ roi_decimal_from_double('coalesce(team_budgets.budget_rc, 0)', 38, 6) }} as budget_rc,
        {{ roi_decimal_from_double('coalesce(team_budgets.actual_rc, 0)', 38, 6) }} as actual_rc,
        {{ roi_decimal_from_double(
            'coalesce(team_budgets.actual_rc, 0) - coalesce(team_budgets.budget_rc, 0)', 38, 6
        ) }} as variance_rc,
        cast(
            (coalesce(team_budgets.actual_rc, 0) - coalesce(team_budgets.budget_rc, 0))
            / nullif(team_budgets.budget_rc, 0) as {{ type_double() }}
        ) as variance_pct,
        cast(coalesce(team_spend.spend_rc, 0) as decimal(38, 12)) as spend_rc,
        cast(coalesce(team_unbudgeted.unbudgeted_rc, 0) as decimal(38, 12)) as unbudgeted_rc,
        cast(coalesce(team_attribution.conversions, 0) as {{ type_double() }}) as conversions,
        cast(coalesce(team_attribution.attributed_revenue_rc, 0) as decimal(38, 6))
            as attributed_revenue_rc,
        cast(coalesce(team_attribution.attributed_margin_rc, 0) as decimal(38, 6))
            as attributed_margin_rc,
        cast(
            coalesce(team_attribution.attributed_revenue_rc, 0) / nullif(team_spend.spend_rc, 0)
            as {{ type_double() }}
        ) as roas,
        cast(
            (coalesce(team_attribution.attributed_margin_rc, 0) - team_spend.spend_rc)
            / nullif(team_spend.spend_rc, 0) as {{ type_double() }}
        ) as roi
    from team_periods
    inner join periods
        on team_periods.fiscal_period = periods.fiscal_period
    left join team_budgets
        on
            team_periods.fiscal_period = team_budgets.fiscal_period
            and team_periods.owner_team = team_budgets.owner_team
    left join team_spend
        on
            team_periods.fiscal_period = team_spend.fiscal_period
            and team_periods.owner_team = team_spend.owner_team
    left join team_unbudgeted
        on
            team_periods.fiscal_period = team_unbudgeted.fiscal_period
            and team_periods.owner_team = team_unbudgeted.owner_team
    left join team_attribution
        on
            team_periods.fiscal_period = team_attribution.fiscal_period
            and team_periods.owner_team = team_attribution.owner_team

)

select * from team_performance
