-- is_empty must flag every row of a non-empty model and pass an empty one.
with

fixture_with_rows as (

    select 1 as problem_id
    union all
    select 2 as problem_id

),

fixture_without_rows as (

    select problem_id from fixture_with_rows
    where problem_id > 2

),

failures_with_rows as (

    {{ test_is_empty('fixture_with_rows') }}

),

failures_without_rows as (

    {{ test_is_empty('fixture_without_rows') }}

),

expectations as (

    select
        'flags every row' as expectation,
        (select count(*) from failures_with_rows) = 2 as is_met
    union all
    select
        'passes an empty model' as expectation,
        (select count(*) from failures_without_rows) = 0 as is_met

)

select * from expectations
where not is_met
