{{ config(materialized=roi_view_materialization()) }}
{#
    Every touch with its marketing channel, first match wins:

    1. a paid touch: its utm_campaign equals (case-insensitively) the
       utm_campaign of a campaign in dim_campaigns -> that campaign's channel,
       and its platform and campaign_id (for the campaign-level ROI);
    2. otherwise the user's rules from config/roi.yml (channel_rules.overrides,
       rule_number 1001 and up, in the order written), then the channel_rules
       seed: Google Analytics 4's default channel groups (rule_number 2 and
       up, in GA4's order), the lowest rule_number first. A rule matches when
       each of its utm_source, utm_medium and utm_campaign patterns (regular
       expressions, lower case) matches the touch's lower-cased value (a
       missing value is ''); an empty pattern matches anything. The last seed
       rule (GA4's Unassigned) matches everything: channel `other`.

    Rules are matched once per distinct (source, medium, campaign), not per
    touch.
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

channel_rule_overrides as (

    {{ channel_rule_overrides() }}

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

rules_in_order as (

    select
        0 as rule_precedence,
        rule_number,
        utm_source_pattern,
        utm_medium_pattern,
        utm_campaign_pattern,
        channel
    from channel_rule_overrides

    union all

    select
        1 as rule_precedence,
        rule_number,
        utm_source_pattern,
        utm_medium_pattern,
        utm_campaign_pattern,
        channel
    from channel_rules

),

utm_triples as (

    select distinct
        lower(coalesce(utm_source, '')) as utm_source_key,
        lower(coalesce(utm_medium, '')) as utm_medium_key,
        lower(coalesce(utm_campaign, '')) as utm_campaign_key
    from touchpoints_stitched

),

utm_rule_matches as (

    select
        utm_triples.utm_source_key,
        utm_triples.utm_medium_key,
        utm_triples.utm_campaign_key,
        rules_in_order.rule_number,
        rules_in_order.channel,
        row_number() over (
            partition by
                utm_triples.utm_source_key,
                utm_triples.utm_medium_key,
                utm_triples.utm_campaign_key
            order by rules_in_order.rule_precedence, rules_in_order.rule_number
        ) as match_rank
    from utm_triples
    inner join rules_in_order
        on
            (
                rules_in_order.utm_source_pattern is null
                or {{ regex_matches('utm_triples.utm_source_key', 'rules_in_order.utm_source_pattern') }}
            )
            and (
                rules_in_order.utm_medium_pattern is null
                or {{ regex_matches('utm_triples.utm_medium_key', 'rules_in_order.utm_medium_pattern') }}
            )
            and (
                rules_in_order.utm_campaign_pattern is null
                or {{ regex_matches('utm_triples.utm_campaign_key', 'rules_in_order.utm_campaign_pattern') }}
            )

),

utm_channels as (

    select * from utm_rule_matches
    where match_rank = 1

),

touchpoints_channelled as (

    select
        touchpoints_stitched.touchpoint_id,
        touchpoints_stitched.visitor_id,
        touchpoints_stitched.resolved_customer_id,
        touchpoints_stitched.occurred_at,
        coalesce(
            campaign_utm_codes.channel, utm_channels.channel, 'other'
        ) as channel,
        campaign_utm_codes.platform,
        campaign_utm_codes.campaign_id,
        campaign_utm_codes.campaign_id is not null as is_paid_touch,
        case
            when campaign_utm_codes.campaign_id is not null then 1
            else utm_channels.rule_number
        end as channel_rule_number
    from touchpoints_stitched
    left join campaign_utm_codes
        on lower(touchpoints_stitched.utm_campaign) = campaign_utm_codes.utm_campaign_key
    left join utm_channels
        on
            lower(coalesce(touchpoints_stitched.utm_source, ''))
            = utm_channels.utm_source_key
            and lower(coalesce(touchpoints_stitched.utm_medium, ''))
            = utm_channels.utm_medium_key
            and lower(coalesce(touchpoints_stitched.utm_campaign, ''))
            = utm_channels.utm_campaign_key

)

select * from touchpoints_channelled
