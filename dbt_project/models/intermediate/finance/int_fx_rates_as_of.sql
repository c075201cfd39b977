{#
    The single place FX is decided: for every calendar day in the span of the
    data and every currency used, the rate into the reporting currency as of
    that day.

    - The reporting currency itself: rate 1 ('identity').
    - Otherwise the rate of the latest rate_date on or before the day and at
      most fx_max_staleness_days before it, as resolved for that rate_date
      (direct, else inverse, else cross: int_fx_rates_resolved).
    - No such rate: the (day, currency) row is absent, and whatever joins
      here finds no rate and reports it (audit.fx_conversion_errors).

    A rate is valid from its rate_date until the day before the next rate_date
    of the same currency, or for fx_max_staleness_days days, whichever ends
    first, so each day matches at most one rate.
#}

with

currencies_used as (

    select * from {{ ref('int_currencies_used') }}

),

fx_rates_resolved as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

data_span as (

    select
        min(first_used_date) as first_date,
        max(last_used_date) as last_date
    from currencies_used

),

calendar_days as (

    {{ day_spine(
        '(select data_span.first_date from data_span)',
        '(select data_span.last_date from data_span)'
    ) }}

),

rate_validity as (

    select
        fx_rates_resolved.currency,
        fx_rates_resolved.rate_date,
        fx_rates_resolved.rate,
        fx_rates_resolved.rate_source,
        {{ dbt.dateadd(
            'day', var('fx_max_staleness_days'), 'fx_rates_resolved.rate_date'
        ) }} as stale_after_date,
        {{ dbt.dateadd(
            'day',
            -1,
            'lead(fx_rates_resolved.rate_date) over (
                partition by fx_rates_resolved.currency
                order by fx_rates_resolved.rate_date
            )'
        ) }} as superseded_after_date
    from fx_rates_resolved
    inner join currencies_used
        on fx_rates_resolved.currency = currencies_used.currency

),

rate_validity_windows as (

    select
        currency,
        rate_date,
        rate,
        rate_source,
        case
            when superseded_after_date < stale_after_date
                then cast(superseded_after_date as date)
            else cast(stale_after_date as date)
        end as valid_through_date
    from rate_validity

),

rates_as_of_day as (

    select
        calendar_days.date_day as as_of_date,
        rate_validity_windows.currency,
        rate_validity_windows.rate_date as rate_date_used,
        rate_validity_windows.rate,
        rate_validity_windows.rate_source,
        {{ dbt.datediff(
            'rate_validity_windows.rate_date', 'calendar_days.date_day', 'day'
        ) }} as staleness_days
    from calendar_days
    inner join rate_validity_windows
        on
            calendar_days.date_day >= rate_validity_windows.rate_date
            and calendar_days.date_day <= rate_validity_windows.valid_through_date

),

identity_rates as (

    select
        date_day as as_of_date,
        '{{ var("reporting_currency") }}' as currency,
        date_day as rate_date_used,
        cast(1 as {{ type_fx_rate() }}) as rate,
        'identity' as rate_source,
        0 as staleness_days
    from calendar_days

),

fx_rates_as_of as (

    select
        as_of_date,
        currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        rate_date_used,
        rate,
        rate_source,
        cast(staleness_days as {{ dbt.type_int() }}) as staleness_days
    from rates_as_of_day

    union all

    select
        as_of_date,
        currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        rate_date_used,
        rate,
        rate_source,
        cast(staleness_days as {{ dbt.type_int() }}) as staleness_days
    from identity_rates

)

select * from fx_rates_as_of
