{#
    Every spend row that could not be converted into the reporting currency,
    with the reason in words. A test keeps this empty (severity error): a
    missing rate stops the build instead of turning into a silent null.
    Rows of int_spend_unioned = rows of fct_marketing_spend_daily + rows here.
#}

with

spend_converted_to_rc as (

    select * from {{ ref('int_spend_converted_to_rc') }}

),

fx_rates_resolved as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

spend_without_fx_rate as (

    select * from spend_converted_to_rc
    where not has_fx_rate

),

spend_days_without_fx_rate as (

    select distinct
        spend_date,
        currency
    from spend_without_fx_rate

),

-- the newest rate there is before the day, however stale, to say how stale
latest_rates_before as (

    select
        spend_days_without_fx_rate.spend_date,
        spend_days_without_fx_rate.currency,
        max(fx_rates_resolved.rate_date) as latest_rate_date
    from spend_days_without_fx_rate
    inner join fx_rates_resolved
        on
            spend_days_without_fx_rate.currency = fx_rates_resolved.currency
            and spend_days_without_fx_rate.spend_date >= fx_rates_resolved.rate_date
    group by
        spend_days_without_fx_rate.spend_date,
        spend_days_without_fx_rate.currency

),

spend_without_fx_rate_dated as (

    select
        spend_without_fx_rate.*,
        latest_rates_before.latest_rate_date
    from spend_without_fx_rate
    left join latest_rates_before
        on
            spend_without_fx_rate.spend_date = latest_rates_before.spend_date
            and spend_without_fx_rate.currency = latest_rates_before.currency

),

errors_explained as (

    select
        spend_date,
        platform,
        account_id,
        campaign_id,
        currency,
        cast(spend as decimal(18, 6)) as spend,
        reporting_currency,
        latest_rate_date,
        {{ missing_fx_rate_reason('currency', 'spend_date', 'latest_rate_date') }} as reason,
        source_file,
        source_line_number
    from spend_without_fx_rate_dated

)

select * from errors_explained
