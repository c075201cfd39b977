{#
    Two rates into the reporting currency per period and currency, for money
    that belongs to a month rather than to a day:

    - period_start_fx_rate: as of the period's first day, or as of the
      currency's last rate_date when the period starts after it (a planning
      rate: budgets of future months). Used for budgets.
    - period_end_fx_rate: as of the period's last day, or as of the last
      rate_date when that is earlier (the month is not over in the rates yet).
      Used by the reconciliation for spend in another currency than its
      invoice and for its reporting-currency figures.

    Both are looked up in int_fx_rates_as_of (at most fx_max_staleness_days
    stale); null when there is no usable rate on that day. The reporting
    currency's rate is 1 without a lookup (fx_rate_into_rc): its periods may
    end after the last day any amount is dated (a month still under way), and
    a same-currency reconciliation must never fail for want of a rate.
#}

with

periods as (

    select * from {{ ref('int_periods') }}

),

currencies_used as (

    select * from {{ ref('int_currencies_used') }}

),

fx_rates_resolved as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

fx_rates_as_of as (

    select * from {{ ref('int_fx_rates_as_of') }}

),

last_rate_dates as (

    select
        currency,
        max(rate_date) as last_rate_date
    from fx_rates_resolved
    group by currency

),

-- the reporting currency has no published rate: its lookup day is the period's own
period_currency_lookup_dates as (

    select
        periods.fiscal_period,
        currencies_used.currency,
        case
            when last_rate_dates.last_rate_date < periods.period_first_date
                then last_rate_dates.last_rate_date
            else periods.period_first_date
        end as period_start_lookup_date,
        case
            when last_rate_dates.last_rate_date < periods.period_last_date
                then last_rate_dates.last_rate_date
            else periods.period_last_date
        end as period_end_lookup_date
    from periods
    cross join currencies_used
    left join last_rate_dates
        on currencies_used.currency = last_rate_dates.currency

),

fx_rates_by_period as (

    select
        period_currency_lookup_dates.fiscal_period,
        period_currency_lookup_dates.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        period_currency_lookup_dates.period_start_lookup_date,
        period_currency_lookup_dates.period_end_lookup_date,
        {{ fx_rate_into_rc(
            'period_currency_lookup_dates.currency', 'period_start_rates.rate'
        ) }} as period_start_fx_rate,
        coalesce(
            period_start_rates.rate_date_used,
            case
                when period_currency_lookup_dates.currency = '{{ var("reporting_currency") }}'
                    then period_currency_lookup_dates.period_start_lookup_date
            end
        ) as period_start_fx_rate_date,
        {{ fx_rate_into_rc(
            'period_currency_lookup_dates.currency', 'period_end_rates.rate'
        ) }} as period_end_fx_rate,
        coalesce(
            period_end_rates.rate_date_used,
            case
                when period_currency_lookup_dates.currency = '{{ var("reporting_currency") }}'
                    then period_currency_lookup_dates.period_end_lookup_date
            end
        ) as period_end_fx_rate_date
    from period_currency_lookup_dates
    left join fx_rates_as_of as period_start_rates
        on
            period_currency_lookup_dates.period_start_lookup_date = period_start_rates.as_of_date
            and period_currency_lookup_dates.currency = period_start_rates.currency
    left join fx_rates_as_of as period_end_rates
        on
            period_currency_lookup_dates.period_end_lookup_date = period_end_rates.as_of_date
            and period_currency_lookup_dates.currency = period_end_rates.currency

)

select * from fx_rates_by_period
