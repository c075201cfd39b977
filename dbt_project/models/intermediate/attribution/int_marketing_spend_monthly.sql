{{ config(materialized=roi_view_materialization()) }}
{#
    Spend in the reporting currency per campaign and month (`YYYY-MM` of
    spend_date), with the campaign's channel: what the ROI marts and their
    bootstrap intervals divide by. From fct_marketing_spend_daily, so every
    spend row with a usable FX rate counts, once.
#}

with

marketing_spend_daily as (

    select * from {{ ref('fct_marketing_spend_daily') }}

),

spend_monthly as (

    select
        platform,
        campaign_id,
        channel,
        {{ month_period_of('spend_date') }} as period,
        sum(spend_rc) as spend_rc,
        count(*) as spend_day_count
    from marketing_spend_daily
    group by
        platform,
        campaign_id,
        channel,
        {{ month_period_of('spend_date') }}

)

select * from spend_monthly
