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

{#- Spark's `dayofweek` (and `extract(dow ...)`) count 1 = Sunday ... 7 = Saturday. -#}
{% macro spark__day_of_week(date_expression) -%}
    cast(dayofweek({{ date_expression }}) - 1 as integer)
{%- endmacro %}
