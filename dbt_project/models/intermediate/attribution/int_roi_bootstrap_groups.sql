{{ config(materialized=roi_view_materialization()) }}
{#
    The groups the ROI bootstrap resamples, numbered: every attribution model
    x paid channel x month (roi_grain `channel`) and model x paid campaign x
    month (roi_grain `campaign`), for every month with a conversion. A channel
    or campaign is paid when it has spend_rc > 0 in some month.

    Unlike int_roi_groups (the groups with spend in the month, which get an
    interval), these do not move with a new day of spend: the bootstrap's
    draws (attribution/roi_bootstrap_draws) depend on journeys, not on
    spend, and a spend-only run divides the draws it kept by the new spend
    (attribution/roi_bootstrap_intervals). Groups without a contribution
    simply resample to nothing. period_number is the month as YYYYMM (a
    month's random stream is seeded from it).
#}

with

roi_groups as (

    select * from {{ ref('int_roi_groups') }}

),

conversions as (

    select * from {{ ref('stg_crm__conversions') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

-- the channels and campaigns with spend_rc > 0 in some month: those that have an ROI group in some month
paid_keys as (

    select distinct
        roi_grain,
        channel,
        platform,
        campaign_id
    from roi_groups

),

-- the months as int_conversions_converted_to_rc names them (whose checks read journey-side tables: reading
-- it would put these groups, and so the draws, after the journeys in a spend-only run)
conversion_periods as (

    select distinct {{ month_period_of('converted_at') }} as period
    from conversions

),

bootstrap_groups as (

    select
        row_number() over (
            order by
                paid_keys.roi_grain,
                attribution_models.attribution_model,
                paid_keys.channel,
                paid_keys.platform,
                paid_keys.campaign_id,
                conversion_periods.period
        ) as group_number,
        cast(replace(conversion_periods.period, '-', '') as integer) as period_number,
        paid_keys.roi_grain,
        attribution_models.attribution_model,
        paid_keys.channel,
        paid_keys.platform,
        paid_keys.campaign_id,
        conversion_periods.period
    from paid_keys
    cross join attribution_models
    cross join conversion_periods

)

select * from bootstrap_groups
