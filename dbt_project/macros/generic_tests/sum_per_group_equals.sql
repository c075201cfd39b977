{#
    Within every group of `group_by_columns`, the values of `column_name` add
    up to `expected_sum`, give or take `tolerance` (for floating-point sums,
    e.g. attribution credits that must sum to 1 per conversion). Fails with
    one row per group that does not, with its sum.
#}
{% test sum_per_group_equals(model, column_name, group_by_columns, expected_sum, tolerance=0) %}
    {%- set group_list = group_by_columns | join(', ') %}

    with

    group_sums as (
        select
            {{ group_list }},
            sum({{ column_name }}) as actual_sum
        from {{ model }}
        group by {{ group_list }}
    )

    select *
    from group_sums
    where
        actual_sum is null
        or abs(actual_sum - ({{ expected_sum }})) > {{ tolerance }}
{% endtest %}
