{#
    Every lift test with its spend, measured incremental revenue and interval
    in the reporting currency, at the rate of the test's last day
    (int_fx_rates_as_of). The marketing-mix model reads it as calibration
    (orchestration/lib/incrementality/inputs.py); a test without a usable rate
    keeps null `_rc` amounts and has_fx_rate false, and is left out there.
#}

{#- the rate: 1 for the reporting currency, without a lookup (fx_rate_into_rc) -#}
{%- set fx_rate = fx_rate_into_rc('lift_tests.currency', 'fx_rates_as_of.rate') -%}

with

lift_tests as (

    select * from {{ ref('stg_experiments__lift_tests') }}

),

fx_rates_as_of as (

    select * from {{ ref('int_fx_rates_as_of') }}

),

lift_tests_converted_to_rc as (

    select
        lift_tests.lift_test_id,
        lift_tests.channel,
        lift_tests.start_date,
        lift_tests.end_date,
        lift_tests.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ fx_rate }} as fx_rate,
        {{ convert_to_rc('lift_tests.spend', fx_rate) }} as spend_rc,
        {{ convert_to_rc('lift_tests.incremental_revenue', fx_rate) }} as incremental_revenue_rc,
        {{ convert_to_rc('lift_tests.incremental_revenue_ci_low', fx_rate) }}
            as incremental_revenue_ci_low_rc,
        {{ convert_to_rc('lift_tests.incremental_revenue_ci_high', fx_rate) }}
            as incremental_revenue_ci_high_rc,
        {{ fx_rate }} is not null as has_fx_rate
    from lift_tests
    left join fx_rates_as_of
        on
            lift_tests.end_date = fx_rates_as_of.as_of_date
            and lift_tests.currency = fx_rates_as_of.currency

)

select * from lift_tests_converted_to_rc
