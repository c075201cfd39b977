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

{#
    Why an amount has no rate, in words, for the audit models that must stay
    empty: "no EUR→USD rate within 7 days before 2025-03-12 (latest:
    2025-03-03)" or "... (none on or before that day)". `latest_rate_date` is
    the newest rate there is before the day, however stale (null: none).
#}
{% macro missing_fx_rate_reason(currency, day, latest_rate_date) -%}
    {{ dbt.concat([
        "'no '",
        currency,
        "'→" ~ var('reporting_currency') ~ " rate within " ~ var('fx_max_staleness_days') ~ " days before '",
        "cast(" ~ day ~ " as " ~ dbt.type_string() ~ ")",
        "case when " ~ latest_rate_date ~ " is null then ' (none on or before that day)' else "
            ~ dbt.concat(["' (latest: '", "cast(" ~ latest_rate_date ~ " as " ~ dbt.type_string() ~ ")", "')'"])
            ~ " end",
    ]) }}
{%- endmacro %}
