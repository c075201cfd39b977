-- unique_combination_of_columns must flag exactly the duplicated combination
-- and pass a fixture whose combinations are unique (even if single columns repeat).
-- (noqa AL05: sqlfluff takes a VALUES column alias list for an unused alias.)
with

fixture_with_duplicate as (

    select * from (
        values (1, 'x'), (1, 'x'), (1, 'y'), (2, 'x')
    ) as fixture_rows (key_a, key_b)  -- noqa: AL05

),

fixture_without_duplicate as (

    select * from (
        values (1, 'x'), (1, 'y'), (2, 'x')
    ) as fixture_rows (key_a, key_b)  -- noqa: AL05

),

failures_with_duplicate as (

    {{ test_unique_combination_of_columns('fixture_with_duplicate', ['key_a', 'key_b']) }}

),

failures_without_duplicate as (

    {{ test_unique_combination_of_columns('fixture_without_duplicate', ['key_a', 'key_b']) }}

),

expectations as (

    select
        'flags the one duplicated combination' as expectation,
        (select count(*) from failures_with_duplicate) = 1 as is_met
    union all
    select
        'passes unique combinations' as expectation,
        (select count(*) from failures_without_duplicate) = 0 as is_met

)

select * from expectations
where not is_met
