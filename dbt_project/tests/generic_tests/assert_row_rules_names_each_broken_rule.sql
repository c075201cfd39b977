-- row_rules must report each broken rule by name with its failing rows (a null breaks a rule too),
-- and pass a fixture that keeps every rule.
-- (noqa AL05: sqlfluff takes a VALUES column alias list for an unused alias.)
with

fixture_breaking_rules as (

    select * from (
        values (1, 10), (2, -5), (3, null), (-1, 7)
    ) as fixture_rows (row_id, amount)  -- noqa: AL05

),

fixture_keeping_rules as (

    select * from (
        values (1, 10), (2, 5)
    ) as fixture_rows (row_id, amount)  -- noqa: AL05

),

failures_breaking as (

    {{ test_row_rules('fixture_breaking_rules', {'amount_is_positive': 'amount > 0', 'row_id_is_positive': 'row_id > 0'}) }}

),

failures_keeping as (

    {{ test_row_rules('fixture_keeping_rules', {'amount_is_positive': 'amount > 0', 'row_id_is_positive': 'row_id > 0'}) }}

),

expectations as (

    select
        'names the amount rule with its two failing rows (negative and null)' as expectation,
        (select max(failing_rows) from failures_breaking where broken_rule = 'amount_is_positive') = 2 as is_met
    union all
    select
        'names the row_id rule with its one failing row' as expectation,
        (select max(failing_rows) from failures_breaking where broken_rule = 'row_id_is_positive') = 1 as is_met
    union all
    select
        'passes when every rule holds' as expectation,
        (select count(*) from failures_keeping) = 0 as is_met

)

select * from expectations
where not is_met
