with

source as (

    select * from {{ source('budget_optimiser', 'budget_scenarios') }}

),

renamed as (

    select
        scenario,
        objective,
        channel,
        window_start,
        window_end,
        current_spend_rc,
        recommended_spend_rc,
        change_rc,
        change_pct,
        lower_bound_rc,
        upper_bound_rc,
        is_locked,
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
        roi_current,
        roi_expected,
        mroas,
        mroi,
        is_extrapolated
    from source

)

select * from renamed
