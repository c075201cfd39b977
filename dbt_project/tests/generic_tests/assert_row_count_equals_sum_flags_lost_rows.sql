-- row_count_equals_sum must flag a split that lost or duplicated rows and
-- pass one that accounts for every row exactly once.
with

whole as (

    select 1 as row_id
    union all
    select 2 as row_id
    union all
    select 3 as row_id

),

first_part as (

    select row_id from whole
    where row_id <= 2

),

second_part as (

    select row_id from whole
    where row_id = 3

),

second_part_duplicated as (

    select row_id from second_part
    union all
    select row_id from second_part

),

failures_on_exact_split as (

    {{ test_row_count_equals_sum('whole', ['first_part', 'second_part']) }}

),

failures_on_lossy_split as (

    {{ test_row_count_equals_sum('whole', ['first_part']) }}

),

failures_on_duplicating_split as (

    {{ test_row_count_equals_sum('whole', ['first_part', 'second_part_duplicated']) }}

),

-- with `whole`: the test belongs to one output (first_part) and checks the split from there
failures_on_exact_split_from_a_part as (

    {{ test_row_count_equals_sum('first_part', ['second_part'], whole='whole') }}

),

failures_on_duplicating_split_from_a_part as (

    {{ test_row_count_equals_sum('first_part', ['second_part_duplicated'], whole='whole') }}

),

failures_on_lossy_split_from_a_part as (

    {{ test_row_count_equals_sum('first_part', [], whole='whole') }}

),

expectations as (

    select
        'passes an exact split' as expectation,
        (select count(*) from failures_on_exact_split) = 0 as is_met
    union all
    select
        'flags a lost row' as expectation,
        (select count(*) from failures_on_lossy_split) = 1 as is_met
    union all
    select
        'flags a duplicated row' as expectation,
        (select count(*) from failures_on_duplicating_split) = 1 as is_met
    union all
    select
        'passes an exact split, checked from a part' as expectation,
        (select count(*) from failures_on_exact_split_from_a_part) = 0 as is_met
    union all
    select
        'flags a duplicated row, checked from a part' as expectation,
        (select count(*) from failures_on_duplicating_split_from_a_part) = 1 as is_met
    union all
    select
        'flags a lost row, checked from a part' as expectation,
        (select count(*) from failures_on_lossy_split_from_a_part) = 1 as is_met

)

select * from expectations
where not is_met
