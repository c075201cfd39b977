-- day_spine (as dispatched, and its portable default) lists every day from
-- start to end once, both included, across a month end in a leap year, and
-- nothing when the end is before the start.
with

expected_days as (

    select cast(date_text as date) as date_day
    from (
        values ('2024-02-27'), ('2024-02-28'), ('2024-02-29'), ('2024-03-01')
    ) as expected_rows (date_text)  -- noqa: AL05

),

dispatched_days as (

    {{ day_spine("cast('2024-02-27' as date)", "cast('2024-03-01' as date)") }}

),

default_days as (

    {{ default__day_spine("cast('2024-02-27' as date)", "cast('2024-03-01' as date)") }}

),

reversed_days as (

    {{ day_spine("cast('2024-03-01' as date)", "cast('2024-02-27' as date)") }}

),

expectations as (

    select
        'dispatched spine has each expected day once' as expectation,
        (select count(*) from dispatched_days) = 4
        and (
            select count(*) from expected_days
            inner join dispatched_days
                on expected_days.date_day = dispatched_days.date_day
        ) = 4 as is_met
    union all
    select
        'default spine has each expected day once' as expectation,
        (select count(*) from default_days) = 4
        and (
            select count(*) from expected_days
            inner join default_days
                on expected_days.date_day = default_days.date_day
        ) = 4 as is_met
    union all
    select
        'an end before the start gives no days' as expectation,
        (select count(*) from reversed_days) = 0 as is_met

)

select * from expectations
where not is_met
