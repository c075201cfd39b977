{#
    The model has no rows: for audit models that list problems (every row is
    one failure).
#}
{% test is_empty(model) %}
    select * from {{ model }}
{% endtest %}
