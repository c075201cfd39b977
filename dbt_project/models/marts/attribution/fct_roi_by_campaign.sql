{#
    The campaign-level twin of fct_roi_by_channel: ROI per attribution model x
    campaign (platform, campaign_id) x month, from the credits of the
    campaign's paid touches (utm_campaign matched) and the campaign's spend.
    Same measures and rules: roas, roi = (margin - spend) / spend, cac and the
    bootstrap interval of roi are null without spend; a campaign-month with
    spend and no conversions appears with roi -1.
#}

with

attribution_credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

spend_monthly as (

    select * from {{ ref('int_marketing_spend_monthly') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

roi_bootstrap_intervals as (

    select * from {{ ref('int_roi_bootstrap_intervals') }}

),

campaign_attribution as (

    select
        attribution_model,
        platform,
        campaign_id,
        conversion_period as period,
        {{ exact_sum("credit") }} as conversions,
        sum(attributed_revenue_rc) as attributed_revenue_rc,
        sum(attributed_margin_rc) as attributed_margin_rc
    from attribution_credits
    where campaign_id is not null
    group by attribution_model, platform, campaign_id, conversion_period

),

spend_by_campaign as (

    select
        platform,
        campaign_id,
        period,
        sum(spend_rc) as spend_rc
    from spend_monthly
    group by platform, campaign_id, period

),

campaign_periods as (

    select
        attribution_model,
        platform,
        campaign_id,
        period
    from campaign_attribution

    union

    select
        attribution_models.attribution_model,
        spend_by_campaign.platform,
        spend_by_campaign.campaign_id,
        spend_by_campaign.period
    from spend_by_campaign
    cross join attribution_models

),

campaign_periods_measured as (

    select
        campaign_periods.attribution_model,
        campaign_periods.platform,
        campaign_periods.campaign_id,
        campaign_periods.period,
        coalesce(spend_by_campaign.spend_rc, 0) as spend_rc,
        coalesce(campaign_attribution.conversions, 0) as conversions,
        coalesce(campaign_attribution.attributed_revenue_rc, 0) as attributed_revenue_rc,
        coalesce(campaign_attribution.attributed_margin_rc, 0) as attributed_margin_rc
    from campaign_periods
    left join spend_by_campaign
        on
            campaign_periods.platform = spend_by_campaign.platform
            and campaign_periods.campaign_id = spend_by_campaign.campaign_id
            and campaign_periods.period = spend_by_campaign.period
    left join campaign_attribution
        on
            campaign_periods.attribution_model = campaign_attribution.attribution_model
            and campaign_periods.platform = campaign_attribution.platform
            and campaign_periods.campaign_id = campaign_attribution.campaign_id
            and campaign_periods.period = campaign_attribution.period

),

roi_by_campaign as (

    select
        campaign_periods_measured.attribution_model,
        campaign_periods_measured.platform,
        campaign_periods_measured.campaign_id,
        campaign_periods_measured.period,
        campaigns.campaign_name,
        campaigns.channel,
        cast(campaign_periods_measured.spend_rc as decimal(38, 12)) as spend_rc,
        cast(campaign_periods_measured.conversions as {{ type_double() }}) as conversions,
        cast(campaign_periods_measured.attributed_revenue_rc as decimal(38, 12))
            as attributed_revenue_rc,
        cast(campaign_periods_measured.attributed_margin_rc as decimal(38, 12))
            as attributed_margin_rc,
        campaign_periods_measured.spend_rc > 0 as has_spend,
        {{ roi_measures('campaign_periods_measured', 'roi_bootstrap_intervals') }}
    from campaign_periods_measured
    left join campaigns
        on
            campaign_periods_measured.platform = campaigns.platform
            and campaign_periods_measured.campaign_id = campaigns.campaign_id
    left join roi_bootstrap_intervals
        on
            roi_bootstrap_intervals.roi_grain = 'campaign'
            and campaign_periods_measured.attribution_model
            = roi_bootstrap_intervals.attribution_model
            and campaign_periods_measured.platform = roi_bootstrap_intervals.platform
            and campaign_periods_measured.campaign_id = roi_bootstrap_intervals.campaign_id
            and campaign_periods_measured.period = roi_bootstrap_intervals.period

)

select * from roi_by_campaign
