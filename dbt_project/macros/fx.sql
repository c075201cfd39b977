{#
    Money in the reporting currency: `amount` times an FX rate from
    int_fx_rates_as_of (join it on `as_of_date` and `currency`).

    Decimal, not double: amount decimal(18, 6) x rate decimal(38, 18) is an
    exact product (scale 24); it is kept at scale 12, so the rounding of one
    row is at most 5e-13 and a sum of a million rows is still exact to the
    cent, and sums are the same whatever the order the engine adds them in.
#}
{% macro convert_to_rc(amount, fx_rate) -%}
    cast({{ amount }} * {{ fx_rate }} as decimal(38, 12))
{%- endmacro %}

{# The type of every FX rate column (see convert_to_rc). #}
{% macro type_fx_rate() -%}
    decimal(38, 18)
{%- endmacro %}
