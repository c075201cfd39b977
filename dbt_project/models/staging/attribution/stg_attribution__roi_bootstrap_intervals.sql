with

source as (

    select * from {{ source('attribution', 'roi_bootstrap_intervals') }}

),

renamed as (

    select
        roi_grain,
        attribution_model,
        channel,
        platform,
        campaign_id,
        period,
        roi_ci_low,
        roi_ci_high,
        roas_ci_low,
        roas_ci_high,
        bootstrap_resamples,
        confidence_level
    from source

)

select * from renamed
