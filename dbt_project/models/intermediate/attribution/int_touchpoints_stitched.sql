with

touchpoints as (

    select * from {{ ref('stg_web__touchpoints') }}

),

identity_map as (

    select * from {{ ref('int_identity_map') }}

),

touchpoints_stitched as (

    select
        touchpoints.touchpoint_id,
        touchpoints.anonymous_id,
        touchpoints.customer_id,
        -- a touch that names its customer keeps it; the others inherit the
        -- customer their anonymous_id was identified with
        coalesce(touchpoints.customer_id, identity_map.customer_id) as resolved_customer_id,
        coalesce(
            touchpoints.customer_id, identity_map.customer_id, touchpoints.anonymous_id
        ) as visitor_id,
        touchpoints.occurred_at,
        touchpoints.utm_source,
        touchpoints.utm_medium,
        touchpoints.utm_campaign,
        touchpoints.touch_type,
        touchpoints.source_file,
        touchpoints.source_line_number
    from touchpoints
    left join identity_map
        on touchpoints.anonymous_id = identity_map.anonymous_id

)

select * from touchpoints_stitched
