{#
    None of `columns` holds a null: one scan and one test per model instead
    of a not_null test per column. Fails with one row giving the null count
    of every listed column.
#}
{% test not_null_columns(model, columns) %}

    with

    null_counts as (
        select
            {% for column in columns -%}
            sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}_nulls
            {%- if not loop.last %},{% endif %}
            {% endfor %}
        from {{ model }}
    )

    select * from null_counts
    where {% for column in columns %}{{ column }}_nulls > 0{% if not loop.last %} or {% endif %}{% endfor %}

{% endtest %}
