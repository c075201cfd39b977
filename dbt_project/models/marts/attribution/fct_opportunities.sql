{#
    One row per opportunity with a usable FX rate (optional B2B pipeline):
    its current snapshot (latest updated_at; a later file restating the same
    snapshot wins), amount in its currency and in the reporting currency (rate
    of the current snapshot's day), won_amount_rc (amount_rc when won, else
    0), its creation month, how many snapshots and stage regressions its
    history has (fct_opportunity_stage_history), and its journey size at
    creation. Opportunities without a rate are in audit.opportunity_fx_errors
    instead (and fail the build).
#}

with

opportunity_snapshots as (

    select * from {{ ref('int_opportunity_snapshots_converted_to_rc') }}

),

stage_history as (

    select * from {{ ref('fct_opportunity_stage_history') }}

),

journey_touches as (

    select * from {{ ref('int_opportunity_journey_touches_windowed') }}

),

history_counts as (

    select
        opportunity_id,
        count(*) as stage_history_row_count,
        sum(case when change_type in ('advanced', 'regressed', 'stage_changed') then 1 else 0 end)
            as stage_change_count,
        sum(case when is_stage_regression then 1 else 0 end) as stage_regression_count
    from stage_history
    group by opportunity_id

),

journey_sizes as (

    select
        opportunity_id,
        count(*) as journey_touch_count
    from journey_touches
    group by opportunity_id

),

current_opportunities as (

    select
        opportunity_snapshots.opportunity_id,
        opportunity_snapshots.customer_id,
        opportunity_snapshots.created_at,
        opportunity_snapshots.created_date,
        opportunity_snapshots.created_period,
        opportunity_snapshots.updated_at,
        opportunity_snapshots.stage,
        opportunity_snapshots.expected_close_date,
        opportunity_snapshots.is_closed,
        opportunity_snapshots.is_won,
        opportunity_snapshots.currency,
        cast(opportunity_snapshots.amount as decimal(18, 6)) as amount,
        opportunity_snapshots.reporting_currency,
        cast(opportunity_snapshots.fx_rate as {{ type_fx_rate() }}) as fx_rate,
        opportunity_snapshots.fx_rate_date,
        opportunity_snapshots.fx_rate_source,
        cast(opportunity_snapshots.amount_rc as decimal(38, 12)) as amount_rc,
        cast(
            case when opportunity_snapshots.is_won then opportunity_snapshots.amount_rc else 0 end
            as decimal(38, 12)
        ) as won_amount_rc,
        cast(opportunity_snapshots.snapshot_count as bigint) as snapshot_count,
        cast(coalesce(history_counts.stage_change_count, 0) as bigint) as stage_change_count,
        cast(
            coalesce(history_counts.stage_regression_count, 0) as bigint
        ) as stage_regression_count,
        coalesce(history_counts.stage_regression_count, 0) > 0 as has_stage_regression,
        cast(coalesce(journey_sizes.journey_touch_count, 0) as bigint) as journey_touch_count,
        journey_sizes.opportunity_id is not null as has_touch_in_window,
        opportunity_snapshots.source_file,
        opportunity_snapshots.source_line_number
    from opportunity_snapshots
    left join history_counts
        on opportunity_snapshots.opportunity_id = history_counts.opportunity_id
    left join journey_sizes
        on opportunity_snapshots.opportunity_id = journey_sizes.opportunity_id
    where opportunity_snapshots.is_current and opportunity_snapshots.has_fx_rate

)

select * from current_opportunities
