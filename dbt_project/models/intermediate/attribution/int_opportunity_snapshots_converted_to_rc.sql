{{ config(materialized=roi_view_materialization()) }}
{#
    Every opportunity snapshot with its amount in the reporting currency, at
    the rate of the snapshot's day (updated_at, UTC) from int_fx_rates_as_of,
    its place in the opportunity's history (snapshot_number, 1 = the first)
    and whether it is the current one: the latest updated_at wins (a later
    landing file restating the same snapshot already won in staging, so this
    order has no ties). A snapshot without a usable rate keeps a null
    amount_rc and has_fx_rate false: audit.opportunity_fx_errors lists the
    current ones, fct_opportunities takes the others.
#}

with

opportunity_snapshots as (

    select * from {{ ref('stg_crm__opportunity_snapshots') }}

),

fx_rates_as_of as (

    select * from {{ ref('int_fx_rates_as_of') }}

),

snapshots_converted_to_rc as (

    select
        opportunity_snapshots.opportunity_id,
        opportunity_snapshots.customer_id,
        opportunity_snapshots.created_at,
        cast(opportunity_snapshots.created_at as date) as created_date,
        {{ month_period_of('opportunity_snapshots.created_at') }} as created_period,
        opportunity_snapshots.updated_at,
        cast(opportunity_snapshots.updated_at as date) as updated_date,
        opportunity_snapshots.expected_close_date,
        opportunity_snapshots.stage,
        opportunity_snapshots.is_closed,
        opportunity_snapshots.is_won,
        opportunity_snapshots.currency,
        opportunity_snapshots.amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        fx_rates_as_of.rate as fx_rate,
        fx_rates_as_of.rate_date_used as fx_rate_date,
        fx_rates_as_of.rate_source as fx_rate_source,
        {{ convert_to_rc('opportunity_snapshots.amount', 'fx_rates_as_of.rate') }} as amount_rc,
        fx_rates_as_of.rate is not null as has_fx_rate,
        row_number() over (
            partition by opportunity_snapshots.opportunity_id
            order by opportunity_snapshots.updated_at
        ) as snapshot_number,
        count(*) over (partition by opportunity_snapshots.opportunity_id) as snapshot_count,
        opportunity_snapshots.source_file,
        opportunity_snapshots.source_line_number
    from opportunity_snapshots
    left join fx_rates_as_of
        on
            cast(opportunity_snapshots.updated_at as date) = fx_rates_as_of.as_of_date
            and opportunity_snapshots.currency = fx_rates_as_of.currency

),

snapshots_flagged as (

    select
        *,
        snapshot_number = snapshot_count as is_current
    from snapshots_converted_to_rc

)

select * from snapshots_flagged
