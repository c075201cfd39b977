{#
    ROI per attribution model x channel x month: spend (fct_marketing_spend_daily,
    by spend month) against the revenue and gross margin the model attributes
    to the channel (by conversion month).

        roas = attributed revenue / spend
        roi  = (attributed margin - spend) / spend
        cac  = spend / conversions

    with the 95 % bootstrap interval of roi (resampled journeys,
    int_roi_bootstrap_intervals). A channel-month with no spend (organic,
    email, direct, referral, unattributed) shows its attributed figures with
    spend 0 and null roas, roi, interval and cac: never a division by zero. A
    channel-month with spend and no conversions appears too (roi -1, cac null).
#}

with

channel_attribution as (

    select * from {{ ref('fct_channel_attribution') }}

),

spend_monthly as (

    select * from {{ ref('int_marketing_spend_monthly') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

roi_bootstrap_intervals as (

    select * from {{ ref('int_roi_bootstrap_intervals') }}

),

spend_by_channel as (

    select
        channel,
        period,
        sum(spend_rc) as spend_rc
    from spend_monthly
    group by channel, period

),

channel_periods as (

    select
        attribution_model,
        channel,
        conversion_period as period
    from channel_attribution

    union

    select
        attribution_models.attribution_model,
        spend_by_channel.channel,
        spend_by_channel.period
    from spend_by_channel
    cross join attribution_models

),

channel_periods_measured as (

    select
        channel_periods.attribution_model,
        channel_periods.channel,
        channel_periods.period,
        coalesce(spend_by_channel.spend_rc, 0) as spend_rc,
        coalesce(channel_attribution.conversions, 0) as conversions,
        coalesce(channel_attribution.attributed_revenue_rc, 0) as attributed_revenue_rc,
        coalesce(channel_attribution.attributed_margin_rc, 0) as attributed_margin_rc
    from channel_periods
    left join spend_by_channel
        on
            channel_periods.channel = spend_by_channel.channel
            and channel_periods.period = spend_by_channel.period
    left join channel_attribution
        on
            channel_periods.attribution_model = channel_attribution.attribution_model
            and channel_periods.channel = channel_attribution.channel
            and channel_periods.period = channel_attribution.conversion_period

),

roi_by_channel as (

    select
        channel_periods_measured.attribution_model,
        channel_periods_measured.channel,
        channel_periods_measured.period,
        cast(channel_periods_measured.spend_rc as decimal(38, 12)) as spend_rc,
        cast(channel_periods_measured.conversions as {{ type_double() }}) as conversions,
        cast(channel_periods_measured.attributed_revenue_rc as decimal(38, 12))
            as attributed_revenue_rc,
        cast(channel_periods_measured.attributed_margin_rc as decimal(38, 12))
            as attributed_margin_rc,
        channel_periods_measured.spend_rc > 0 as has_spend,
        {{ roi_measures('channel_periods_measured', 'roi_bootstrap_intervals') }}
    from channel_periods_measured
    left join roi_bootstrap_intervals
        on
            roi_bootstrap_intervals.roi_grain = 'channel'
            and channel_periods_measured.attribution_model
            = roi_bootstrap_intervals.attribution_model
            and channel_periods_measured.channel = roi_bootstrap_intervals.channel
            and channel_periods_measured.period = roi_bootstrap_intervals.period

)

select * from roi_by_channel
