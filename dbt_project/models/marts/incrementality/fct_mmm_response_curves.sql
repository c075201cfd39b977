{{ config(materialized=roi_view_materialization()) }}
{#
    Each channel's steady-state response curve from the current fit: the
    incremental revenue per day a constant daily spend earns (credible
    interval), its marginal ROAS, and whether the spend level lies beyond the
    highest (adstocked) daily spend the fit observed. Levels run from 0 to
    curve_max_multiple x the channel's average daily spend over the last 12
    months of the fit window.
#}

with

response_curves as (

    select * from {{ ref('stg_incrementality__mmm_response_curves') }}

),

curves_typed as (

    select
        fit_id,
        channel,
        cast(step as integer) as spend_level,
        cast(daily_spend_rc as {{ type_double() }}) as daily_spend_rc,
        cast(average_daily_spend_rc as {{ type_double() }}) as average_daily_spend_rc,
        cast(incremental_revenue_per_day_rc as {{ type_double() }}) as incremental_revenue_per_day_rc,
        cast(incremental_revenue_per_day_ci_low_rc as {{ type_double() }})
            as incremental_revenue_per_day_ci_low_rc,
        cast(incremental_revenue_per_day_ci_high_rc as {{ type_double() }})
            as incremental_revenue_per_day_ci_high_rc,
        cast(marginal_roas as {{ type_double() }}) as marginal_roas,
        cast(is_extrapolated as boolean) as is_extrapolated
    from response_curves

)

select * from curves_typed
