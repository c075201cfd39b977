{{ config(materialized='view') }}
{#
    Every touch with its marketing channel, first match wins:

    1. a paid touch: its utm_campaign equals (case-insensitively) the
       utm_campaign of a campaign in dim_campaigns -> that campaign's channel,
       and its platform and campaign_id (for the campaign-level ROI);
    2-7. otherwise the first rule of the channel_rules seed (lowest
       rule_number) whose utm_source and utm_medium match: `*` matches
       anything, an empty rule value matches an empty or missing one.

    Rules are matched once per distinct (source, medium) pair, not per touch.
#}

with

touchpoints_stitched as (

    select * from {{ ref('int_touchpoints_stitched') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

channel_rules as (

    select * from {{ ref('channel_rules') }}

),

-- one campaign per utm_campaign; should two campaigns share one, the first by
-- platform and campaign_id wins (assert_campaign_utm_codes_are_unique warns)
campaign_utm_codes_ranked as (

    select
        lower(utm_campaign) as utm_campaign_key,
        platform,
        campaign_id,
        channel,
        row_number() over (
            partition by lower(utm_campaign)
            order by platform, campaign_id
        ) as utm_campaign_rank
    from campaigns
    where utm_campaign is not null

),

campaign_utm_codes as (

    select * from campaign_utm_codes_ranked
    where utm_campaign_rank = 1

),

source_medium_pairs as (

    select distinct
        coalesce(utm_source, '') as utm_source_key,
        coalesce(utm_medium, '') as utm_medium_key
    from touchpoints_stitched

),

source_medium_rule_matches as (

    select
        source_medium_pairs.utm_source_key,
        source_medium_pairs.utm_medium_key,
        channel_rules.rule_number,
        channel_rules.channel,
        row_number() over (
            partition by source_medium_pairs.utm_source_key, source_medium_pairs.utm_medium_key
            order by channel_rules.rule_number
        ) as match_rank
    from source_medium_pairs
    inner join channel_rules
        on
            (
                channel_rules.utm_source = '*'
                or coalesce(channel_rules.utm_source, '') = source_medium_pairs.utm_source_key
            )
            and (
                channel_rules.utm_medium = '*'
                or coalesce(channel_rules.utm_medium, '') = source_medium_pairs.utm_medium_key
            )

),

source_medium_channels as (

    select * from source_medium_rule_matches
    where match_rank = 1

),

touchpoints_channelled as (

    select
        touchpoints_stitched.touchpoint_id,
        touchpoints_stitched.visitor_id,
        touchpoints_stitched.resolved_customer_id,
        touchpoints_stitched.occurred_at,
        coalesce(
            campaign_utm_codes.channel, source_medium_channels.channel, 'other'
        ) as channel,
        campaign_utm_codes.platform,
        campaign_utm_codes.campaign_id,
        campaign_utm_codes.campaign_id is not null as is_paid_touch,
        case
            when campaign_utm_codes.campaign_id is not null then 1
            else source_medium_channels.rule_number
        end as channel_rule_number
    from touchpoints_stitched
    left join campaign_utm_codes
        on lower(touchpoints_stitched.utm_campaign) = campaign_utm_codes.utm_campaign_key
    left join source_medium_channels
        on
            coalesce(touchpoints_stitched.utm_source, '')
            = source_medium_channels.utm_source_key
            and coalesce(touchpoints_stitched.utm_medium, '')
            = source_medium_channels.utm_medium_key

)

select * from touchpoints_channelled
