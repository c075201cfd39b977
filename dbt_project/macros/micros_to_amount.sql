{#
    An integer count of micros (money x 1,000,000, as Google Ads reports cost)
    as an exact decimal(18, 6) amount: 1234567 -> 1.234567.
    Dispatched because decimal division is not exact everywhere: DuckDB turns
    it into a double, so there the amount is a decimal product instead.
#}
{% macro micros_to_amount(column_name) -%}
    {{ return(adapter.dispatch('micros_to_amount')(column_name)) }}
{%- endmacro %}

{% macro default__micros_to_amount(column_name) -%}
    cast(cast({{ column_name }} as decimal(38, 6)) / 1000000 as decimal(18, 6))
{%- endmacro %}

{% macro duckdb__micros_to_amount(column_name) -%}
    cast(
        cast({{ column_name }} as decimal(38, 0)) * cast(0.000001 as decimal(7, 6))
        as decimal(18, 6)
    )
{%- endmacro %}
