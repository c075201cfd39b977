{#
    The grain test: no two rows share the same values of `combination_of_columns`.
    Fails with one row per duplicated combination and how often it occurs.
    Nulls compare equal here (as in group by); pair it with not_null on key columns.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set column_list = combination_of_columns | join(', ') %}

    with

    duplicated_combinations as (
        select
            {{ column_list }},
            count(*) as row_count
        from {{ model }}
        group by {{ column_list }}
        having count(*) > 1
    )

    select * from duplicated_combinations
{% endtest %}
