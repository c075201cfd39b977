{{ config(materialized=roi_view_materialization()) }}
{#
    What the ROI bootstrap (int_roi_bootstrap_intervals) resamples, in numbers
    only: one row per conversion x ROI group with spend (int_roi_groups), with
    the conversion's summed credit in the group and its FULL revenue and
    margin in the reporting currency (attributed = credit x value). Channel
    groups take every credit of the channel, campaign groups the credits of
    the campaign's paid touches. A view: the Dagster asset
    attribution/roi_bootstrap_intervals reads it once and DuckDB aggregates
    the touch-level fact while it does.
#}

with

attribution_credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

conversions as (

    select * from {{ ref('fct_conversions') }}

),

roi_groups as (

    select * from {{ ref('int_roi_groups') }}

),

conversions_numbered as (

    select
        conversion_id,
        row_number() over (order by conversion_id) as conversion_number,
        cast(revenue_rc as {{ type_double() }}) as revenue_rc,
        cast(gross_margin_rc as {{ type_double() }}) as margin_rc
    from conversions

),

credits_by_channel as (

    select
        attribution_model,
        channel,
        conversion_period,
        conversion_id,
        {{ exact_sum("credit") }} as credit
    from attribution_credits
    group by attribution_model, channel, conversion_period, conversion_id

),

credits_by_campaign as (

    select
        attribution_model,
        platform,
        campaign_id,
        conversion_period,
        conversion_id,
        {{ exact_sum("credit") }} as credit
    from attribution_credits
    where campaign_id is not null
    group by attribution_model, platform, campaign_id, conversion_period, conversion_id

),

credits_by_group as (

    select
        roi_groups.group_number,
        roi_groups.period_number,
        credits_by_channel.conversion_id,
        credits_by_channel.credit
    from credits_by_channel
    inner join roi_groups
        on
            roi_groups.roi_grain = 'channel'
            and credits_by_channel.attribution_model = roi_groups.attribution_model
            and credits_by_channel.channel = roi_groups.channel
            and credits_by_channel.conversion_period = roi_groups.period

    union all

    select
        roi_groups.group_number,
        roi_groups.period_number,
        credits_by_campaign.conversion_id,
        credits_by_campaign.credit
    from credits_by_campaign
    inner join roi_groups
        on
            roi_groups.roi_grain = 'campaign'
            and credits_by_campaign.attribution_model = roi_groups.attribution_model
            and credits_by_campaign.platform = roi_groups.platform
            and credits_by_campaign.campaign_id = roi_groups.campaign_id
            and credits_by_campaign.conversion_period = roi_groups.period

),

contributions as (

    select
        credits_by_group.group_number,
        credits_by_group.period_number,
        conversions_numbered.conversion_number,
        credits_by_group.credit,
        conversions_numbered.revenue_rc,
        conversions_numbered.margin_rc
    from credits_by_group
    inner join conversions_numbered
        on credits_by_group.conversion_id = conversions_numbered.conversion_id

)

select * from contributions
