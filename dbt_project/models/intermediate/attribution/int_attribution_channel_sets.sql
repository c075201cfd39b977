{{ config(materialized=roi_view_materialization()) }}
{#
    The distinct channel SETS of converting journeys with how many conversions
    had exactly that set: the coalition counts the Shapley model
    (int_attribution_channel_weights) reads, and the rows the Markov credit
    fit (int_attribution_markov_credits) works on. channel_set lists the
    set's channels in alphabetical order, joined with ' + '.
#}

with

conversion_channel_sets as (

    select * from {{ ref('int_attribution_conversion_channel_sets') }}

),

channel_sets_counted as (

    select
        channel_set,
        channel_count,
        count(*) as conversions
    from conversion_channel_sets
    group by channel_set, channel_count

)

select * from channel_sets_counted
