{#
    Exact elapsed seconds from `start_timestamp` to `end_timestamp`, as a
    double, fractions of a second included (positive when end is later).
    `datediff(..., 'second')` counts second boundaries crossed instead, which
    truncates sub-second differences; time-decay ages need the exact value.
#}
{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    cast({{ dbt.datediff(start_timestamp, end_timestamp, 'millisecond') }} as {{ type_double() }})
    / 1000.0
{%- endmacro %}

{% macro duckdb__seconds_between(start_timestamp, end_timestamp) -%}
    (epoch({{ end_timestamp }}) - epoch({{ start_timestamp }}))
{%- endmacro %}

{#- Spark: whole microseconds between the two instants (`datediff` in seconds truncates), as a double. -#}
{% macro spark__seconds_between(start_timestamp, end_timestamp) -%}
    (
        cast(
            unix_micros(cast({{ end_timestamp }} as timestamp_ltz))
            - unix_micros(cast({{ start_timestamp }} as timestamp_ltz))
            as double
        ) / 1000000
    )
{%- endmacro %}
