{{ config(materialized=roi_view_materialization()) }}

with

channel_weights as (

    select * from {{ ref('stg_attribution__channel_weights') }}

)

select * from channel_weights
