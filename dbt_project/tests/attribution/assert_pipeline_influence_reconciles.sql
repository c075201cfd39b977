-- Under every attribution model, each creation month of fct_pipeline_influence
-- adds up to that month's opportunities and pipeline in fct_opportunities
-- (unattributed included): no opportunity is lost or credited twice. Returns
-- the model-months that do not (counts within 1e-9, amounts within 1e-6).
with

pipeline_influence as (

    select * from {{ ref('fct_pipeline_influence') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

attribution_models as (

    select * from {{ ref('attribution_models') }}

),

opportunities_by_period as (

    select
        created_period,
        count(*) as opportunities,
        sum(amount_rc) as pipeline_amount_rc,
        sum(won_amount_rc) as won_amount_rc
    from opportunities
    group by created_period

),

expected as (

    select
        attribution_models.attribution_model,
        opportunities_by_period.created_period,
        opportunities_by_period.opportunities,
        opportunities_by_period.pipeline_amount_rc,
        opportunities_by_period.won_amount_rc
    from opportunities_by_period
    cross join attribution_models

),

credited as (

    select
        attribution_model,
        created_period,
        sum(opportunities_created) as opportunities,
        sum(pipeline_amount_rc) as pipeline_amount_rc,
        sum(won_amount_rc) as won_amount_rc
    from pipeline_influence
    group by attribution_model, created_period

),

unreconciled as (

    select
        coalesce(expected.attribution_model, credited.attribution_model) as attribution_model,
        coalesce(expected.created_period, credited.created_period) as created_period,
        expected.opportunities as expected_opportunities,
        credited.opportunities as credited_opportunities,
        expected.pipeline_amount_rc as expected_pipeline_amount_rc,
        credited.pipeline_amount_rc as credited_pipeline_amount_rc
    from expected
    full outer join credited
        on
            expected.attribution_model = credited.attribution_model
            and expected.created_period = credited.created_period
    where
        expected.created_period is null
        or credited.created_period is null
        or abs(expected.opportunities - credited.opportunities) > 1e-9
        or abs(expected.pipeline_amount_rc - credited.pipeline_amount_rc) > 1e-6
        or abs(expected.won_amount_rc - credited.won_amount_rc) > 1e-6

)

select * from unreconciled
