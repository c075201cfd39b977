{#
    Pipeline influence per attribution model x channel x creation month of
    the opportunity: opportunities created (credit, fractional), the pipeline
    amount they carry (credit x amount_rc, the current amount) and the part
    already won (credit x won_amount_rc), and the won opportunities (credit).
    The credit is int_opportunity_touch_credits': the conversions' journey
    rule and models with the window measured to the opportunity's creation.
    An opportunity without a touch in its window goes to the channel
    `unattributed` with credit 1, so under every model a month's rows add up
    to the month's opportunities and pipeline in fct_opportunities.
#}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

touch_credits as (

    select * from {{ ref('int_opportunity_touch_credits') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

channel_credits as (

    select
        attribution_model,
        opportunity_id,
        channel,
        {{ exact_sum('credit') }} as credit
    from touch_credits
    group by attribution_model, opportunity_id, channel

),

unattributed_credits as (

    select
        attribution_models.attribution_model,
        opportunities.opportunity_id,
        'unattributed' as channel,
        cast(1 as {{ type_double() }}) as credit
    from opportunities
    cross join attribution_models
    where not opportunities.has_touch_in_window

),

credits_unioned as (

    select * from channel_credits
    where credit > 0
    union all
    select * from unattributed_credits

),

credits_valued as (

    select
        credits_unioned.attribution_model,
        credits_unioned.channel,
        opportunities.created_period,
        credits_unioned.credit,
        case when opportunities.is_won then credits_unioned.credit else 0 end as won_credit,
        {{ credited_amount('opportunities.amount_rc', 'credits_unioned.credit') }} as pipeline_amount_rc,
        {{ credited_amount('opportunities.won_amount_rc', 'credits_unioned.credit') }} as won_amount_rc
    from credits_unioned
    inner join opportunities
        on credits_unioned.opportunity_id = opportunities.opportunity_id

),

pipeline_influence as (

    select
        attribution_model,
        channel,
        created_period,
        cast({{ exact_sum('credit') }} as {{ type_double() }}) as opportunities_created,
        cast(sum(pipeline_amount_rc) as decimal(38, 12)) as pipeline_amount_rc,
        cast({{ exact_sum('won_credit') }} as {{ type_double() }}) as opportunities_won,
        cast(sum(won_amount_rc) as decimal(38, 12)) as won_amount_rc
    from credits_valued
    group by attribution_model, channel, created_period

)

select * from pipeline_influence
