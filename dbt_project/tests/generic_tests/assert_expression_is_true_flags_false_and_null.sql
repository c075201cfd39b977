-- expression_is_true must flag the rows where the expression is false or null
-- (strict), and pass a fixture where it holds everywhere.
with

fixture as (

    select 1 as amount
    union all
    select -1 as amount
    union all
    select cast(null as integer) as amount

),

failures_on_mixed_rows as (

    {{ test_expression_is_true('fixture', 'amount >= 0') }}

),

failures_on_true_rows as (

    {{ test_expression_is_true('fixture', 'amount >= 0 or amount is null or amount = -1') }}

),

expectations as (

    select
        'flags the false and the null row' as expectation,
        (select count(*) from failures_on_mixed_rows) = 2 as is_met
    union all
    select
        'passes when the expression holds everywhere' as expectation,
        (select count(*) from failures_on_true_rows) = 0 as is_met

)

select * from expectations
where not is_met
