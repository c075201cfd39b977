{{ config(materialized=roi_view_materialization()) }}

with

markov_credits as (

    select * from {{ ref('stg_attribution__markov_credits') }}

)

select * from markov_credits
