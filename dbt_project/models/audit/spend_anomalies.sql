{#
    Spend days far outside their campaign's own history, loaded but named:
    for each day x platform x campaign (x account currency), its spend
    against the campaign's previous `spend_anomaly_history_days` calendar
    days with spend rows (at least `spend_anomaly_min_history_days` of them),
    with the robust score

        score = |spend - median| / max(1.4826 x MAD, min_scale_pct x |median|)

    (MAD: the median absolute deviation from the median; 1.4826 x MAD
    estimates the standard deviation of normal data, and the floor gives a
    campaign that spends the same every day a scale). Days scoring above
    `spend_anomaly_max_score` are listed here. A warning, never a block: the
    spend_plausibility check and the spend_anomaly alert report them, and the
    day stays in the marts until a restated file corrects it. A campaign
    with no spend over its whole history (median and MAD 0) has no scale: its
    first spend is a restart, not scored.
#}

with

spend_unioned as (

    select * from {{ ref('int_spend_unioned') }}

),

campaign_days as (

    select
        spend_date,
        platform,
        campaign_id,
        currency,
        sum(spend) as spend,
        max(source_file) as source_file
    from spend_unioned
    group by spend_date, platform, campaign_id, currency

),

trailing_history as (

    select
        scored_day.spend_date,
        scored_day.platform,
        scored_day.campaign_id,
        scored_day.currency,
        past_day.spend as past_spend
    from campaign_days as scored_day
    inner join campaign_days as past_day
        on
            scored_day.platform = past_day.platform
            and scored_day.campaign_id = past_day.campaign_id
            and scored_day.currency = past_day.currency
            and scored_day.spend_date > past_day.spend_date
            and {{ dbt.dateadd(
                'day', -var('spend_anomaly_history_days'), 'scored_day.spend_date'
            ) }} <= past_day.spend_date

),

history_medians as (

    select
        spend_date,
        platform,
        campaign_id,
        currency,
        count(*) as history_days,
        percentile_cont(0.5) within group (order by past_spend) as median_spend
    from trailing_history
    group by spend_date, platform, campaign_id, currency

),

history_deviations as (

    select
        history_medians.spend_date,
        history_medians.platform,
        history_medians.campaign_id,
        history_medians.currency,
        history_medians.history_days,
        history_medians.median_spend,
        percentile_cont(0.5) within group (
            order by abs(trailing_history.past_spend - history_medians.median_spend)
        ) as mad_spend
    from history_medians
    inner join trailing_history
        on
            history_medians.spend_date = trailing_history.spend_date
            and history_medians.platform = trailing_history.platform
            and history_medians.campaign_id = trailing_history.campaign_id
            and history_medians.currency = trailing_history.currency
    where history_medians.history_days >= {{ var('spend_anomaly_min_history_days') }}
    group by
        history_medians.spend_date,
        history_medians.platform,
        history_medians.campaign_id,
        history_medians.currency,
        history_medians.history_days,
        history_medians.median_spend

),

days_scored as (

    select
        campaign_days.spend_date,
        campaign_days.platform,
        campaign_days.campaign_id,
        campaign_days.currency,
        cast(campaign_days.spend as {{ type_double() }}) as spend,
        history_deviations.history_days,
        cast(history_deviations.median_spend as {{ type_double() }}) as median_spend,
        cast(history_deviations.mad_spend as {{ type_double() }}) as mad_spend,
        cast(
            abs(campaign_days.spend - history_deviations.median_spend)
            / nullif(
                greatest(
                    1.4826 * history_deviations.mad_spend,
                    {{ var('spend_anomaly_min_scale_pct') }} * abs(history_deviations.median_spend)
                ),
                0
            )
            as {{ type_double() }}
        ) as robust_score,
        cast({{ var('spend_anomaly_max_score') }} as {{ type_double() }}) as threshold,
        campaign_days.source_file
    from campaign_days
    inner join history_deviations
        on
            campaign_days.spend_date = history_deviations.spend_date
            and campaign_days.platform = history_deviations.platform
            and campaign_days.campaign_id = history_deviations.campaign_id
            and campaign_days.currency = history_deviations.currency

),

anomalies as (

    select
        spend_date,
        platform,
        campaign_id,
        currency,
        spend,
        history_days,
        median_spend,
        mad_spend,
        robust_score,
        threshold,
        case when spend > median_spend then 'above' else 'below' end as direction,
        source_file
    from days_scored
    where robust_score > threshold

)

select * from anomalies
