{#
    A timestamp with time zone as the naive timestamp of the same instant in
    UTC: every `_at` column of the warehouse is UTC.
#}
{% macro to_utc_timestamp(column_name) -%}
    {{ return(adapter.dispatch('to_utc_timestamp')(column_name)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column_name) -%}
    cast(({{ column_name }} at time zone 'UTC') as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column_name) -%}
    timezone('UTC', {{ column_name }})
{%- endmacro %}
