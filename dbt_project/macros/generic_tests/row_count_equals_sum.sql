{#
    The model has as many rows as the relations in `parts` together: for a
    model whose rows are split, without loss or duplication, over several
    outputs (e.g. converted spend + spend that could not be converted).

    With `whole`, the split is checked from one of the outputs: `whole` has
    as many rows as the model and the `parts` together. The test then
    belongs to the output (a mart), not to the relation it was split from,
    which matters to a spend-only run (orchestration/lib/spend_only.py): a
    test reading the mart would make its input wait for the journeys.
#}
{% test row_count_equals_sum(model, parts, whole=none) %}
    {%- set counted = ([model] if whole is not none else []) + parts -%}
    with

    model_rows as (
        select count(*) as row_count from {{ whole if whole is not none else model }}
    ),

    part_rows as (
        {% for part in counted -%}
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
