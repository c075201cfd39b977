{{ config(materialized=roi_view_materialization()) }}
{#
    Each lift test against the current marketing-mix fit: the measured
    incremental revenue (reporting currency, with its interval) next to the
    model's incremental revenue of the channel over the same days (credible
    interval), and z = (model - measured) / sqrt(se_measured² + sd_model²).
    |z| above max_lift_test_abs_z flags a disagreement (a WARN check too).
#}

with

lift_test_calibration as (

    select * from {{ ref('stg_incrementality__mmm_lift_test_calibration') }}

),

calibration_flagged as (

    select
        lift_test_id,
        fit_id,
        channel,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(spend_rc as {{ type_double() }}) as spend_rc,
        cast(measured_incremental_revenue_rc as {{ type_double() }}) as measured_incremental_revenue_rc,
        cast(measured_ci_low_rc as {{ type_double() }}) as measured_ci_low_rc,
        cast(measured_ci_high_rc as {{ type_double() }}) as measured_ci_high_rc,
        cast(model_incremental_revenue_rc as {{ type_double() }}) as model_incremental_revenue_rc,
        cast(model_ci_low_rc as {{ type_double() }}) as model_ci_low_rc,
        cast(model_ci_high_rc as {{ type_double() }}) as model_ci_high_rc,
        cast(z_score as {{ type_double() }}) as z_score,
        abs(z_score) > {{ var('mmm_max_lift_test_abs_z') }} as is_disagreeing
    from lift_test_calibration

)

select * from calibration_flagged
