{#
    A double-precision (8-byte) float type. dbt's `type_float()` renders
    `float`, which is double precision on Postgres, Snowflake or BigQuery but
    a 4-byte REAL on DuckDB (about 7 significant digits): FX rates,
    attribution credits and ROI ratios need double precision everywhere.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{#- Spark has no `double precision`. -#}
{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#
    An order-independent sum of a double expression, as a double. DuckDB adds
    doubles in whatever order its threads finish, so a plain sum can differ
    in the last bits from one run to the next; adding them as exact decimals
    (18 places) gives the same result every time, which is what lets two
    builds of the same files produce identical marts. Each term becomes its
    decimal through roi_decimal18_from_double, the same digits on every
    engine. With `over`, the same as a window sum (`over` is the window's
    specification).
#}
{% macro exact_sum(expression, over=none) -%}
    cast(
        sum({{ roi_decimal18_from_double(expression) }}){% if over is not none %} over ({{ over }}){% endif %}
        as {{ type_double() }}
    )
{%- endmacro %}
