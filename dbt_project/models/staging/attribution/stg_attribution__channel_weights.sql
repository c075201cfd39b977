with

source as (

    select * from {{ source('attribution', 'channel_weights') }}

),

renamed as (

    select
        attribution_model,
        channel,
        removal_effect,
        conversion_probability,
        conversion_probability_removed,
        shapley_value,
        credit_share,
        second_order_removal_effect,
        second_order_credit_share,
        value_removal_effect,
        value_credit_share
    from source

)

select * from renamed
