with

source as (

    select * from {{ source('budget_optimiser', 'budget_scenario_summary') }}

),

renamed as (

    select
        scenario,
        objective,
        fit_id,
        status,
        status_message,
        window_start,
        window_end,
        interval_level,
        channels,
        locked_channels,
        current_spend_rc,
        recommended_spend_rc,
        spend_change_rc,
        current_incremental_revenue_rc,
        current_incremental_revenue_ci_low_rc,
        current_incremental_revenue_ci_high_rc,
        expected_incremental_revenue_rc,
        expected_incremental_revenue_ci_low_rc,
        expected_incremental_revenue_ci_high_rc,
        current_incremental_margin_rc,
        current_incremental_margin_ci_low_rc,
        current_incremental_margin_ci_high_rc,
        expected_incremental_margin_rc,
        expected_incremental_margin_ci_low_rc,
        expected_incremental_margin_ci_high_rc,
        margin_uplift_rc,
        margin_uplift_ci_low_rc,
        margin_uplift_ci_high_rc,
        net_uplift_rc,
        net_uplift_ci_low_rc,
        net_uplift_ci_high_rc,
        probability_of_improvement,
        roi_current,
        roi_expected,
        budget_efficiency_gain_pct,
        roi_improvement_pct,
        is_extrapolated,
        efficiency_target_pct,
        reaches_efficiency_target,
        roi_improvement_target_pct,
        reaches_roi_improvement_target
    from source

)

select * from renamed
