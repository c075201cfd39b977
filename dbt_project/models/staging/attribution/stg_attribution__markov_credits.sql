with

source as (

    select * from {{ source('attribution', 'markov_credits') }}

),

renamed as (

    select
        conversion_id,
        channel,
        credit,
        fit_iterations,
        fit_max_gap,
        is_fit_converged,
        is_revenue_fitted
    from source

)

select * from renamed
