-- not_null_columns must fail when any listed column holds a null and pass otherwise.
-- (noqa AL05: sqlfluff takes a VALUES column alias list for an unused alias.)
with

fixture_with_null as (

    select * from (
        values (1, 'x', 10), (2, null, 20)
    ) as fixture_rows (col_a, col_b, col_c)  -- noqa: AL05

),

fixture_without_null as (

    select * from (
        values (1, 'x', 10), (2, 'y', 20)
    ) as fixture_rows (col_a, col_b, col_c)  -- noqa: AL05

),

failures_with_null as (

    {{ test_not_null_columns('fixture_with_null', ['col_a', 'col_b', 'col_c']) }}

),

failures_without_null as (

    {{ test_not_null_columns('fixture_without_null', ['col_a', 'col_b', 'col_c']) }}

),

expectations as (

    select
        'flags the column with a null' as expectation,
        (select max(col_b_nulls) from failures_with_null) = 1 as is_met
    union all
    select
        'passes when no column holds a null' as expectation,
        (select count(*) from failures_without_null) = 0 as is_met

)

select * from expectations
where not is_met
