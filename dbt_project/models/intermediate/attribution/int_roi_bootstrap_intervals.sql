{{ config(materialized=roi_view_materialization()) }}

with

roi_bootstrap_intervals as (

    select * from {{ ref('stg_attribution__roi_bootstrap_intervals') }}

)

select * from roi_bootstrap_intervals
