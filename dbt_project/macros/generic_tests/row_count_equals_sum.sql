{#
    The model has as many rows as the relations in `parts` together: for a
    model whose rows are split, without loss or duplication, over several
    outputs (e.g. converted spend + spend that could not be converted).
#}
{% test row_count_equals_sum(model, parts) %}
    with

    model_rows as (
        select count(*) as row_count from {{ model }}
    ),

    part_rows as (
        {% for part in parts -%}
            select count(*) as row_count from {{ part }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    ),

    row_counts_compared as (
        select
            model_rows.row_count as model_row_count,
            (select sum(part_rows.row_count) from part_rows) as parts_row_count
        from model_rows
    )

    select *
    from row_counts_compared
    where model_row_count != parts_row_count
{% endtest %}
