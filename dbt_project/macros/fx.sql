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

{#
    The rate from `currency` into the reporting currency: 1 for the reporting
    currency itself, without a lookup (a same-currency conversion never needs
    a published rate, whatever the day), else `looked_up_rate` (null when
    there is none).
#}
{% macro fx_rate_into_rc(currency, looked_up_rate) -%}
    case
        when {{ currency }} = '{{ var("reporting_currency") }}' then cast(1 as {{ type_fx_rate() }})
        else {{ looked_up_rate }}
    end
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

{#
    The rows of `rows_without_rate` (a relation or CTE with `currency` and the
    day column `day`) with `latest_rate_date`: the newest rate in `fx_rates`
    (int_fx_rates_resolved) on or before the day, however stale (null: none),
    for missing_fx_rate_reason. Looked up once per distinct day and currency.
#}
{% macro with_latest_fx_rate_date(rows_without_rate, fx_rates, day) -%}
    select
        {{ rows_without_rate }}.*,
        latest_rates_before.latest_rate_date
    from {{ rows_without_rate }}
    left join (
        select
            days_without_rate.{{ day }},
            days_without_rate.currency,
            max({{ fx_rates }}.rate_date) as latest_rate_date
        from (
            select distinct
                {{ day }},
                currency
            from {{ rows_without_rate }}
        ) as days_without_rate
        inner join {{ fx_rates }}
            on
                days_without_rate.currency = {{ fx_rates }}.currency
                and days_without_rate.{{ day }} >= {{ fx_rates }}.rate_date
        group by
            days_without_rate.{{ day }},
            days_without_rate.currency
    ) as latest_rates_before
        on
            {{ rows_without_rate }}.{{ day }} = latest_rates_before.{{ day }}
            and {{ rows_without_rate }}.currency = latest_rates_before.currency
{%- endmacro %}
