{{ config(materialized=roi_view_materialization()) }}
{#
    The current marketing-mix fit: its data window and granularity, how well
    it explains revenue (R², MAPE in sample and on the held-out final weeks),
    whether the sampler converged (max r_hat, min bulk ESS, divergences), how
    many lift tests calibrated it, library versions, input hash and fit time.
#}

with

fit_diagnostics as (

    select * from {{ ref('stg_incrementality__mmm_fit_diagnostics') }}

),

diagnostics_typed as (

    select
        fit_id,
        cast(window_start as date) as window_start_date,
        cast(window_end as date) as window_end_date,
        granularity,
        cast(rows as integer) as row_count,
        cast(train_rows as integer) as train_row_count,
        cast(holdout_rows as integer) as holdout_row_count,
        cast(channels as integer) as channel_count,
        cast(r_squared as {{ type_double() }}) as r_squared,
        cast(mape_in_sample as {{ type_double() }}) as mape_in_sample,
        cast(mape_holdout as {{ type_double() }}) as mape_holdout,
        cast(max_r_hat as {{ type_double() }}) as max_r_hat,
        cast(min_ess_bulk as {{ type_double() }}) as min_ess_bulk,
        cast(divergences as integer) as divergences,
        cast(lift_tests_used as integer) as lift_tests_used,
        library_versions,
        input_hash,
        cast(fit_seconds as {{ type_double() }}) as fit_seconds
    from fit_diagnostics

)

select * from diagnostics_typed
