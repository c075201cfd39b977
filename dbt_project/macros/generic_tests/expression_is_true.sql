{#
    Every row satisfies `expression`. Strict: a row where the expression is
    false or null fails (unlike dbt_utils), so a null never passes silently.
    Use the test's `where` config to restrict the rows checked. Works on a
    model or on a column (the column only places the test; name it in the
    expression).
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
