{#
    Identity stitching: which customer each anonymous_id belongs to.

    An anonymous_id seen with a customer_id on any touch belongs to that
    customer for all its touches. When one anonymous_id was seen with several
    customer_ids (a shared device, a re-login), it belongs to the customer of
    its EARLIEST identified touch (by occurred_at, then touchpoint_id), so
    every touch belongs to at most one customer and no conversion is credited
    twice. anonymous_ids never seen with a customer_id are not in this model.
#}

with

touchpoints as (

    select * from {{ ref('stg_web__touchpoints') }}

),

identified_touchpoints as (

    select
        anonymous_id,
        customer_id,
        occurred_at,
        row_number() over (
            partition by anonymous_id
            order by occurred_at, touchpoint_id
        ) as identified_touch_number
    from touchpoints
    where customer_id is not null

),

customer_ids_per_anonymous_id as (

    select
        anonymous_id,
        count(distinct customer_id) as customer_id_count
    from identified_touchpoints
    group by anonymous_id

),

identity_map as (

    select
        identified_touchpoints.anonymous_id,
        identified_touchpoints.customer_id,
        identified_touchpoints.occurred_at as first_identified_at,
        customer_ids_per_anonymous_id.customer_id_count,
        customer_ids_per_anonymous_id.customer_id_count > 1
            as has_conflicting_customer_ids
    from identified_touchpoints
    inner join customer_ids_per_anonymous_id
        on identified_touchpoints.anonymous_id = customer_ids_per_anonymous_id.anonymous_id
    where identified_touchpoints.identified_touch_number = 1

)

select * from identity_map
