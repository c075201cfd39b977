{{ config(materialized=roi_view_materialization()) }}
{#
    The ROI groups that get a bootstrap interval: every attribution model x
    channel x month (roi_grain `channel`) and model x campaign x month
    (roi_grain `campaign`) with spend_rc > 0 (without spend, roi has no
    interval). Numbered, so the bootstrap's million-row input
    (int_roi_bootstrap_contributions) carries integers, not strings;
    period_number is the month as YYYYMM.
#}

with

spend_monthly as (

    select * from {{ ref('int_marketing_spend_monthly') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

spend_by_group as (

    select
        'channel' as roi_grain,
        channel,
        cast(null as {{ dbt.type_string() }}) as platform,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        period,
        sum(spend_rc) as spend_rc
    from spend_monthly
    group by channel, period

    union all

    select
        'campaign' as roi_grain,
        cast(null as {{ dbt.type_string() }}) as channel,
        platform,
        campaign_id,
        period,
        sum(spend_rc) as spend_rc
    from spend_monthly
    group by platform, campaign_id, period

),

groups_per_model as (

    select
        spend_by_group.roi_grain,
        attribution_models.attribution_model,
        spend_by_group.channel,
        spend_by_group.platform,
        spend_by_group.campaign_id,
        spend_by_group.period,
        spend_by_group.spend_rc
    from spend_by_group
    cross join attribution_models
    where spend_by_group.spend_rc > 0

),

roi_groups as (

    select
        row_number() over (
            order by roi_grain, attribution_model, channel, platform, campaign_id, period
        ) as group_number,
        cast(replace(period, '-', '') as integer) as period_number,
        roi_grain,
        attribution_model,
        channel,
        platform,
        campaign_id,
        period,
        cast(spend_rc as {{ type_double() }}) as spend_rc
    from groups_per_model

)

select * from roi_groups
