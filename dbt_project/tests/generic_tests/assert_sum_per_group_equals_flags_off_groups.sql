-- sum_per_group_equals must flag every group whose sum is off by more than the
-- tolerance (or null) and pass groups that are within it, e.g. credits of
-- 1/3 + 1/3 + 1/3 that add up to 1 only to within floating-point rounding.
with

fixture as (

    select
        conversion_id,
        cast(credit as double) as credit
    from (
        values
        ('c1', 1.0 / 3),
        ('c1', 1.0 / 3),
        ('c1', 1.0 / 3),
        ('c2', 0.5),
        ('c2', 0.4),
        ('c3', null)
    ) as fixture_rows (conversion_id, credit)  -- noqa: AL05

),

failures_with_tolerance as (

    {{ test_sum_per_group_equals('fixture', 'credit', ['conversion_id'], 1, 1e-9) }}

),

failures_on_whole_groups as (

    {{ test_sum_per_group_equals(
        "(select * from fixture where conversion_id = 'c1')", 'credit', ['conversion_id'], 1, 1e-9
    ) }}

),

expectations as (

    select
        'flags the group off by 0.1 and the null group' as expectation,
        (select count(*) from failures_with_tolerance) = 2
        and (
            select count(*) from failures_with_tolerance
            where conversion_id in ('c2', 'c3')
        ) = 2 as is_met
    union all
    select
        'passes a group within the tolerance' as expectation,
        (select count(*) from failures_on_whole_groups) = 0 as is_met

)

select * from expectations
where not is_met
