{#
    Budget scenarios x channel, as the optimiser (Dagster asset
    incrementality/budget_scenarios) computed them over the marketing-mix
    model's posterior response curves: today's and the recommended spend over
    the window, the bounds, and the expected incremental revenue and margin of
    both allocations with their credible intervals. Published with a contract;
    rows in scenario order, then channel.
#}

with

budget_scenarios as (

    select * from {{ ref('stg_optimisation__budget_scenarios') }}

),

scenarios_ordered as (

    select * from budget_scenarios
    order by scenario, channel

)

select * from scenarios_ordered
