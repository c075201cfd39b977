{# The first day of a `YYYY-MM` period string, as a date. #}
{% macro period_first_date(period) -%}
    cast({{ dbt.concat([period, "'-01'"]) }} as date)
{%- endmacro %}

{# The last day of a `YYYY-MM` period string, as a date. #}
{% macro period_last_date(period) -%}
    cast({{ dbt.last_day(period_first_date(period), 'month') }} as date)
{%- endmacro %}
