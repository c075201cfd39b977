-- grain must flag a duplicated key and a key with a null, and pass a clean fixture.
-- (noqa AL05: sqlfluff takes a VALUES column alias list for an unused alias.)
with

fixture_with_problems as (

    select * from (
        values (1, 'x'), (1, 'x'), (2, null), (3, 'y')
    ) as fixture_rows (key_a, key_b)  -- noqa: AL05

),

fixture_clean as (

    select * from (
        values (1, 'x'), (1, 'y'), (2, 'x')
    ) as fixture_rows (key_a, key_b)  -- noqa: AL05

),

failures_with_problems as (

    {{ test_grain('fixture_with_problems', ['key_a', 'key_b']) }}

),

failures_clean as (

    {{ test_grain('fixture_clean', ['key_a', 'key_b']) }}

),

expectations as (

    select
        'flags the duplicated key' as expectation,
        (select count(*) from failures_with_problems where problem = 'duplicated') = 1 as is_met
    union all
    select
        'flags the key with a null' as expectation,
        (select count(*) from failures_with_problems where problem = 'null in the grain') = 1 as is_met
    union all
    select
        'passes a clean grain' as expectation,
        (select count(*) from failures_clean) = 0 as is_met

)

select * from expectations
where not is_met
