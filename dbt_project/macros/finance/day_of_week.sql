{#
    The day of the week of a date as an integer, 0 = Sunday ... 6 = Saturday
    (adapter-dispatched: there is no portable SQL for it; the default,
    `extract(dow ...)`, serves DuckDB, PostgreSQL and Redshift).
#}
{% macro day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('day_of_week')(date_expression)) }}
{%- endmacro %}

{% macro default__day_of_week(date_expression) -%}
    cast(extract(dow from {{ date_expression }}) as integer)
{%- endmacro %}
