{#
    relationships for a multi-column key: every combination of `column_names`
    in the model (with no null part) exists as `field_names` in `to`.
    Fails with one row per orphan combination.
#}
{% test composite_relationships(model, column_names, to, field_names) %}
    {%- if column_names | length != field_names | length -%}
        {{ exceptions.raise_compiler_error(
            "composite_relationships: column_names and field_names differ in length"
        ) }}
    {%- endif %}

    with

    child_keys as (
        select distinct {{ column_names | join(', ') }}
        from {{ model }}
        where
            {% for column_name in column_names -%}
                {{ column_name }} is not null
                {%- if not loop.last %} and {% endif %}
            {% endfor %}
    ),

    parent_keys as (
        select distinct {{ field_names | join(', ') }}
        from {{ to }}
    ),

    orphan_keys as (
        select child_keys.*
        from child_keys
        left join parent_keys
            on
                {% for column_name in column_names -%}
                    child_keys.{{ column_name }} = parent_keys.{{ field_names[loop.index0] }}
                    {%- if not loop.last %} and {% endif %}
                {% endfor %}
        where parent_keys.{{ field_names[0] }} is null
    )

    select * from orphan_keys
{% endtest %}
