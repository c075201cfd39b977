{#
    The global numbers behind the two data-driven models, per channel, for
    transparency: the first-order Markov removal effects (with the chain's
    conversion probability with and without the channel, over every journey,
    converting or not; the second-order chain's alongside, for comparison)
    and the exact Shapley values (conversions credited), next to the
    conversions each model's conversion-level credits hand the channel in
    fct_channel_attribution (for shapley the two are equal).
#}

with

channel_weights as (

    select * from {{ ref('int_attribution_channel_weights') }}

),

channel_attribution as (

    select * from {{ ref('fct_channel_attribution') }}

),

credited_conversions as (

    select
        attribution_model,
        channel,
        {{ exact_sum("conversions") }} as credited_conversions
    from channel_attribution
    group by attribution_model, channel

),

channel_weights_credited as (

    select
        channel_weights.attribution_model,
        channel_weights.channel,
        cast(channel_weights.removal_effect as {{ type_double() }}) as removal_effect,
        cast(channel_weights.conversion_probability as {{ type_double() }})
            as conversion_probability,
        cast(channel_weights.conversion_probability_removed as {{ type_double() }})
            as conversion_probability_removed,
        cast(channel_weights.shapley_value as {{ type_double() }}) as shapley_value,
        cast(channel_weights.credit_share as {{ type_double() }}) as credit_share,
        cast(channel_weights.second_order_removal_effect as {{ type_double() }})
            as second_order_removal_effect,
        cast(channel_weights.second_order_credit_share as {{ type_double() }})
            as second_order_credit_share,
        cast(coalesce(credited_conversions.credited_conversions, 0) as {{ type_double() }})
            as credited_conversions
    from channel_weights
    left join credited_conversions
        on
            channel_weights.attribution_model = credited_conversions.attribution_model
            and channel_weights.channel = credited_conversions.channel

)

select * from channel_weights_credited
