{#
    The grain test: every combination of `columns` appears once, and none of
    them is null. One test per model instead of a uniqueness test plus a
    not_null test per key column (each test is a query in dbt and an asset
    check in Dagster). Fails with one row per problem: the key values, how
    many rows share them, and whether they are duplicated or incomplete.
#}
{% test grain(model, columns) %}
    {%- set column_list = columns | join(', ') %}

    with

    keyed_rows as (
        select {{ column_list }}
        from {{ model }}
    ),

    duplicated_keys as (
        select
            {{ column_list }},
            count(*) as row_count,
            'duplicated' as problem
        from keyed_rows
        group by {{ column_list }}
        having count(*) > 1
    ),

    incomplete_keys as (
        select
            {{ column_list }},
            count(*) as row_count,
            'null in the grain' as problem
        from keyed_rows
        where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
        group by {{ column_list }}
    )

    select * from duplicated_keys
    union all
    select * from incomplete_keys
{% endtest %}
