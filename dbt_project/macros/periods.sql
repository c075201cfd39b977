{# The first day of a `YYYY-MM` period string, as a date. #}
{% macro period_first_date(period) -%}
    cast({{ dbt.concat([period, "'-01'"]) }} as date)
{%- endmacro %}

{# The last day of a `YYYY-MM` period string, as a date. #}
{% macro period_last_date(period) -%}
    cast({{ dbt.last_day(period_first_date(period), 'month') }} as date)
{%- endmacro %}

{#
    The `YYYY-MM` period string of a date or (UTC) timestamp: how every
    attribution and ROI mart names a month (conversion_period, period).
#}
{% macro month_period_of(date_or_timestamp) -%}
    {{ return(adapter.dispatch('month_period_of')(date_or_timestamp)) }}
{%- endmacro %}

{% macro default__month_period_of(date_or_timestamp) -%}
    substring(
        cast(cast({{ date_or_timestamp }} as date) as {{ dbt.type_string() }}), 1, 7
    )
{%- endmacro %}

{% macro duckdb__month_period_of(date_or_timestamp) -%}
    strftime(cast({{ date_or_timestamp }} as date), '%Y-%m')
{%- endmacro %}
