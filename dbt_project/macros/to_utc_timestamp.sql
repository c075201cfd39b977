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

{#- Spark reads a Parquet timestamp with time zone as its TIMESTAMP (an instant shown in the session's
    time zone, which the spark target sets to UTC); the naive UTC timestamp is that value without zone.
    `at time zone` does not exist in Spark SQL. -#}
{% macro spark__to_utc_timestamp(column_name) -%}
    cast({{ column_name }} as timestamp_ntz)
{%- endmacro %}
