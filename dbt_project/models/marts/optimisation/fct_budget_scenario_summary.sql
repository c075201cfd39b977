{#
    One row per budget scenario (see fct_budget_scenarios): totals today and
    recommended, the expected uplift with its credible interval, the
    probability of improvement, and the budget-efficiency gain and ROI
    improvement compared with the seed's targets by the optimiser's WARN
    checks. Published with a contract.
#}

with

budget_scenario_summary as (

    select * from {{ ref('stg_optimisation__budget_scenario_summary') }}

),

summary_ordered as (

    select * from budget_scenario_summary
    order by scenario

)

select * from summary_ordered
