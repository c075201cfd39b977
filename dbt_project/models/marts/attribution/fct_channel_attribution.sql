{#
    Conversions (fractional credit), attributed revenue and gross margin per
    attribution model x channel x conversion month, channel `unattributed`
    included: under every model the conversions of a month add up to the
    month's conversions.
#}

with

attribution_credits as (

    select * from {{ ref('fct_attribution_credits') }}

),

channel_attribution as (

    select
        attribution_model,
        channel,
        conversion_period,
        cast({{ exact_sum("credit") }} as {{ type_double() }}) as conversions,
        cast(sum(attributed_revenue_rc) as decimal(38, 12)) as attributed_revenue_rc,
        cast(sum(attributed_margin_rc) as decimal(38, 12)) as attributed_margin_rc
    from attribution_credits
    group by attribution_model, channel, conversion_period

)

select * from channel_attribution
