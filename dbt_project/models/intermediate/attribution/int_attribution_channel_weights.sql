{{ config(materialized='view') }}

with

channel_weights as (

    select * from {{ ref('stg_attribution__channel_weights') }}

)

select * from channel_weights
