{#
    Every row satisfies every rule: `rules` maps a rule's name to a boolean
    SQL expression (strict: false or null breaks it, as expression_is_true).
    One test per model instead of one per rule, each rule still reported by
    name: fails with one row per broken rule and how many rows break it.
#}
{% test row_rules(model, rules) %}

    with

    model_rows as (
        select * from {{ model }}
    ),

    broken_rules as (
        {% for rule_name, expression in rules.items() -%}
        select
            '{{ rule_name | replace("'", "''") }}' as broken_rule,
            count(*) as failing_rows
        from model_rows
        where not coalesce({{ expression }}, false)
        having count(*) > 0
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    )

    select * from broken_rules

{% endtest %}
