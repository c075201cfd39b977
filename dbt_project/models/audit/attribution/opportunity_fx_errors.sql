{#
    Every current opportunity snapshot that could not be converted into the
    reporting currency (no rate within fx_max_staleness_days before its
    updated_at day), with the reason in words. A test keeps this empty
    (severity error): such an opportunity is missing from fct_opportunities
    and fct_pipeline_influence, so it stops the build instead of silently
    shrinking the pipeline.
#}

with

opportunity_snapshots as (

    select * from {{ ref('int_opportunity_snapshots_converted_to_rc') }}

),

fx_rates_resolved as (

    select * from {{ ref('int_fx_rates_resolved') }}

),

opportunities_without_fx_rate as (

    select * from opportunity_snapshots
    where is_current and not has_fx_rate

),

opportunities_without_fx_rate_dated as (

    {{ with_latest_fx_rate_date(
        'opportunities_without_fx_rate', 'fx_rates_resolved', 'updated_date'
    ) }}

),

errors_explained as (

    select
        opportunity_id,
        customer_id,
        updated_at,
        updated_date,
        currency,
        cast(amount as decimal(18, 6)) as amount,
        reporting_currency,
        latest_rate_date,
        {{ missing_fx_rate_reason('currency', 'updated_date', 'latest_rate_date') }} as reason,
        source_file,
        source_line_number
    from opportunities_without_fx_rate_dated

)

select * from errors_explained
