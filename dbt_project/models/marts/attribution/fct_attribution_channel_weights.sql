{#
    The global numbers behind the two data-driven models, per channel, for
    transparency: the first-order Markov removal effects (with the chain's
    conversion probability with and without the channel, over every journey,
    converting or not; the second-order chain's alongside, for comparison)
    and the exact Shapley values (conversions credited), with the
    conversions each model's totals call for (target_conversions: credit
    share x conversions with a touch in their window) next to the ones its
    conversion-level credits hand the channel in fct_channel_attribution
    (credited_conversions; the two differ only by conversions left out of
    the marts for want of an FX rate, and for markov by the fit's gap).
    conversions_without_fx_rate is the credit those left-out conversions
    would hand the channel, so that credited + without FX rate = the model's
    totals: a missing rate fails the FX check that names it
    (conversion_fx_errors_is_empty), not the Shapley identity.
#}

with

channel_weights as (

    select * from {{ ref('int_attribution_channel_weights') }}

),

channel_attribution as (

    select * from {{ ref('fct_channel_attribution') }}

),

channel_sets as (

    select * from {{ ref('int_attribution_channel_sets') }}

),

touch_credits_data_driven as (

    select * from {{ ref('int_touch_credits_data_driven') }}

),

conversions_converted_to_rc as (

    select * from {{ ref('int_conversions_converted_to_rc') }}

),

converting_journeys as (

    select sum(conversions) as conversions
    from channel_sets

),

credited_conversions as (

    select
        attribution_model,
        channel,
        {{ exact_sum("conversions") }} as credited_conversions
    from channel_attribution
    group by attribution_model, channel

),

-- the credit of conversions fct_conversions leaves out for want of an FX rate
-- (listed in audit.conversion_fx_errors)
credits_without_fx_rate as (

    select
        touch_credits_data_driven.attribution_model,
        touch_credits_data_driven.channel,
        {{ exact_sum("touch_credits_data_driven.credit") }} as conversions_without_fx_rate
    from touch_credits_data_driven
    inner join conversions_converted_to_rc
        on touch_credits_data_driven.conversion_id = conversions_converted_to_rc.conversion_id
    where not conversions_converted_to_rc.has_fx_rate
    group by touch_credits_data_driven.attribution_model, touch_credits_data_driven.channel

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
        cast(channel_weights.value_removal_effect as {{ type_double() }}) as value_removal_effect,
        cast(channel_weights.value_credit_share as {{ type_double() }}) as value_credit_share,
        cast(
            channel_weights.credit_share * coalesce(converting_journeys.conversions, 0)
            as {{ type_double() }}
        ) as target_conversions,
        cast(coalesce(credited_conversions.credited_conversions, 0) as {{ type_double() }})
            as credited_conversions,
        cast(
            coalesce(credits_without_fx_rate.conversions_without_fx_rate, 0) as {{ type_double() }}
        ) as conversions_without_fx_rate
    from channel_weights
    cross join converting_journeys
    left join credited_conversions
        on
            channel_weights.attribution_model = credited_conversions.attribution_model
            and channel_weights.channel = credited_conversions.channel
    left join credits_without_fx_rate
        on
            channel_weights.attribution_model = credits_without_fx_rate.attribution_model
            and channel_weights.channel = credits_without_fx_rate.channel

)

select * from channel_weights_credited
