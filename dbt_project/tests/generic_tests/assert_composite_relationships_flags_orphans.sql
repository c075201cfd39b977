-- composite_relationships must flag a child whose combination of key columns
-- is missing from the parent even when each column alone exists there, and
-- ignore children with a null key part.
-- (noqa AL05: sqlfluff takes a VALUES column alias list for an unused alias.)
with

parents as (

    select * from (
        values ('google_ads', '1'), ('meta_ads', '2')
    ) as parent_rows (platform, campaign_id)  -- noqa: AL05

),

children as (

    select * from (
        values ('google_ads', '1'), ('google_ads', '2'), ('meta_ads', null)
    ) as child_rows (platform_name, platform_campaign_id)  -- noqa: AL05

),

children_with_parents as (

    select * from children
    where platform_campaign_id = '1'

),

failures_with_orphan as (

    {{ test_composite_relationships(
        'children',
        ['platform_name', 'platform_campaign_id'],
        'parents',
        ['platform', 'campaign_id'],
    ) }}

),

failures_without_orphan as (

    {{ test_composite_relationships(
        'children_with_parents',
        ['platform_name', 'platform_campaign_id'],
        'parents',
        ['platform', 'campaign_id'],
    ) }}

),

expectations as (

    select
        'flags the (google_ads, 2) orphan only' as expectation,
        (select count(*) from failures_with_orphan) = 1 as is_met
    union all
    select
        'passes when every combination exists' as expectation,
        (select count(*) from failures_without_orphan) = 0 as is_met

)

select * from expectations
where not is_met
