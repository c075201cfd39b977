{{ config(materialized=roi_view_materialization()) }}
{#
    Three measurements of each channel's ROI side by side, per month and
    fiscal year the marketing-mix fit covers: every attribution model's ROI
    (fct_roi_by_channel: attributed margin against spend, summed over the
    fiscal year's months), the MMM's ROI with its credible interval
    (fct_mmm_channel_roi), and the ROI a lift test measured where one covers
    the period (its incremental revenue x the period's margin ratio against
    its spend; interval from the test's). An attribution ROI outside the MMM
    interval is counted and flagged: attribution credits what it sees, the
    MMM what was caused.
#}

with

mmm_channel_roi as (

    select * from {{ ref('fct_mmm_channel_roi') }}

),

roi_by_channel as (

    select * from {{ ref('fct_roi_by_channel') }}

),

lift_tests as (

    select * from {{ ref('int_lift_tests_converted_to_rc') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

months_of_periods as (

    select
        'month' as period_type,
        fiscal_period as period,
        fiscal_period as month_period,
        period_first_date,
        period_last_date
    from periods

    union all

    select
        'fiscal_year' as period_type,
        fiscal_year_label as period,
        fiscal_period as month_period,
        period_first_date,
        period_last_date
    from periods

),

period_bounds as (

    select
        period_type,
        period,
        min(period_first_date) as period_first_date,
        max(period_last_date) as period_last_date
    from months_of_periods
    group by period_type, period

),

attribution_by_period as (

    select
        months_of_periods.period_type,
        months_of_periods.period,
        roi_by_channel.channel,
        roi_by_channel.attribution_model,
        (sum(roi_by_channel.attributed_margin_rc) - sum(roi_by_channel.spend_rc))
        / nullif(sum(roi_by_channel.spend_rc), 0) as attribution_roi
    from roi_by_channel
    inner join months_of_periods
        on roi_by_channel.period = months_of_periods.month_period
    group by
        months_of_periods.period_type,
        months_of_periods.period,
        roi_by_channel.channel,
        roi_by_channel.attribution_model

),

attribution_pivoted as (

    select
        period_type,
        period,
        channel,
        max(case when attribution_model = 'first_touch' then attribution_roi end) as roi_first_touch,
        max(case when attribution_model = 'last_touch' then attribution_roi end) as roi_last_touch,
        max(case when attribution_model = 'linear' then attribution_roi end) as roi_linear,
        max(case when attribution_model = 'time_decay' then attribution_roi end) as roi_time_decay,
        max(case when attribution_model = 'position_based' then attribution_roi end) as roi_position_based,
        max(case when attribution_model = 'markov' then attribution_roi end) as roi_markov,
        max(case when attribution_model = 'shapley' then attribution_roi end) as roi_shapley
    from attribution_by_period
    group by period_type, period, channel

),

lift_tests_by_period as (

    select
        period_bounds.period_type,
        period_bounds.period,
        lift_tests.channel,
        count(*) as lift_test_count,
        sum(lift_tests.spend_rc) as lift_test_spend_rc,
        sum(lift_tests.incremental_revenue_rc) as lift_test_revenue_rc,
        sum(lift_tests.incremental_revenue_ci_low_rc) as lift_test_revenue_ci_low_rc,
        sum(lift_tests.incremental_revenue_ci_high_rc) as lift_test_revenue_ci_high_rc
    from lift_tests
    inner join period_bounds
        on
            lift_tests.start_date <= period_bounds.period_last_date
            and lift_tests.end_date >= period_bounds.period_first_date
    where lift_tests.has_fx_rate
    group by
        period_bounds.period_type,
        period_bounds.period,
        lift_tests.channel

),

measurements_joined as (

    select
        mmm_channel_roi.period_type,
        mmm_channel_roi.period,
        mmm_channel_roi.channel,
        mmm_channel_roi.fit_id,
        mmm_channel_roi.spend_rc,
        attribution_pivoted.roi_first_touch,
        attribution_pivoted.roi_last_touch,
        attribution_pivoted.roi_linear,
        attribution_pivoted.roi_time_decay,
        attribution_pivoted.roi_position_based,
        attribution_pivoted.roi_markov,
        attribution_pivoted.roi_shapley,
        mmm_channel_roi.roi as mmm_roi,
        mmm_channel_roi.roi_ci_low as mmm_roi_ci_low,
        mmm_channel_roi.roi_ci_high as mmm_roi_ci_high,
        coalesce(lift_tests_by_period.lift_test_count, 0) as lift_test_count,
        (lift_tests_by_period.lift_test_revenue_rc * mmm_channel_roi.margin_ratio
            - lift_tests_by_period.lift_test_spend_rc)
        / nullif(lift_tests_by_period.lift_test_spend_rc, 0) as lift_test_roi,
        (lift_tests_by_period.lift_test_revenue_ci_low_rc * mmm_channel_roi.margin_ratio
            - lift_tests_by_period.lift_test_spend_rc)
        / nullif(lift_tests_by_period.lift_test_spend_rc, 0) as lift_test_roi_ci_low,
        (lift_tests_by_period.lift_test_revenue_ci_high_rc * mmm_channel_roi.margin_ratio
            - lift_tests_by_period.lift_test_spend_rc)
        / nullif(lift_tests_by_period.lift_test_spend_rc, 0) as lift_test_roi_ci_high
    from mmm_channel_roi
    left join attribution_pivoted
        on
            mmm_channel_roi.period_type = attribution_pivoted.period_type
            and mmm_channel_roi.period = attribution_pivoted.period
            and mmm_channel_roi.channel = attribution_pivoted.channel
    left join lift_tests_by_period
        on
            mmm_channel_roi.period_type = lift_tests_by_period.period_type
            and mmm_channel_roi.period = lift_tests_by_period.period
            and mmm_channel_roi.channel = lift_tests_by_period.channel

),

outside_counted as (

    select
        *,
        (case when roi_first_touch not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
            + case when roi_last_touch not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
            + case when roi_linear not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
            + case when roi_time_decay not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
            + case when roi_position_based not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
            + case when roi_markov not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
            + case when roi_shapley not between mmm_roi_ci_low and mmm_roi_ci_high then 1 else 0 end
        ) as attribution_models_outside_mmm_interval
    from measurements_joined

),

triangulation as (

    select
        period_type,
        period,
        channel,
        fit_id,
        cast(spend_rc as {{ type_double() }}) as spend_rc,
        cast(roi_first_touch as {{ type_double() }}) as roi_first_touch,
        cast(roi_last_touch as {{ type_double() }}) as roi_last_touch,
        cast(roi_linear as {{ type_double() }}) as roi_linear,
        cast(roi_time_decay as {{ type_double() }}) as roi_time_decay,
        cast(roi_position_based as {{ type_double() }}) as roi_position_based,
        cast(roi_markov as {{ type_double() }}) as roi_markov,
        cast(roi_shapley as {{ type_double() }}) as roi_shapley,
        cast(mmm_roi as {{ type_double() }}) as mmm_roi,
        cast(mmm_roi_ci_low as {{ type_double() }}) as mmm_roi_ci_low,
        cast(mmm_roi_ci_high as {{ type_double() }}) as mmm_roi_ci_high,
        cast(lift_test_count as integer) as lift_test_count,
        cast(lift_test_roi as {{ type_double() }}) as lift_test_roi,
        cast(lift_test_roi_ci_low as {{ type_double() }}) as lift_test_roi_ci_low,
        cast(lift_test_roi_ci_high as {{ type_double() }}) as lift_test_roi_ci_high,
        cast(attribution_models_outside_mmm_interval as integer) as attribution_models_outside_mmm_interval,
        attribution_models_outside_mmm_interval > 0 as has_attribution_outside_mmm_interval
    from outside_counted

)

select * from triangulation
