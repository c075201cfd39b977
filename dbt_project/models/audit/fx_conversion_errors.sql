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

-- with the newest rate there is before the day, however stale, to say how stale
spend_without_fx_rate_dated as (

    {{ with_latest_fx_rate_date('spend_without_fx_rate', 'fx_rates_resolved', 'spend_date') }}

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
