{{ config(severity='warn') }}
-- Each utm_campaign (compared case-insensitively, as touches are matched)
-- belongs to one campaign; otherwise int_touchpoints_channelled credits the
-- first campaign by platform and campaign_id and the others get none.
with

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

shared_utm_codes as (

    select
        lower(utm_campaign) as utm_campaign_key,
        count(*) as campaign_count
    from campaigns
    where utm_campaign is not null
    group by lower(utm_campaign)
    having count(*) > 1

)

select * from shared_utm_codes
