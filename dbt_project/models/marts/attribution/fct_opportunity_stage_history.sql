{#
    Every opportunity's stage history: one row per snapshot that changed
    something (the first snapshot, then each whose stage, amount, currency,
    expected close date, is_closed or is_won differs from the snapshot
    before it; a snapshot repeating the previous one adds no row). change_type
    says what moved: `created` (first snapshot), `advanced` / `regressed`
    (the stage moved later / earlier in config pipeline.stage_order),
    `stage_changed` (the stage moved but one of the two stages is not in the
    order) or `updated` (same stage, other fields changed).
    is_stage_regression flags the `regressed` rows. amount_rc is at the rate
    of the snapshot's day (null without one).
#}

with

opportunity_snapshots as (

    select * from {{ ref('int_opportunity_snapshots_converted_to_rc') }}

),

stage_order as (

    {{ opportunity_stage_order() }}

),

snapshots_ranked as (

    select
        opportunity_snapshots.*,
        stage_order.stage_rank
    from opportunity_snapshots
    left join stage_order
        on opportunity_snapshots.stage = stage_order.stage

),

snapshots_with_previous as (

    select
        *,
        lag(stage) over (partition by opportunity_id order by updated_at) as previous_stage,
        lag(stage_rank) over (
            partition by opportunity_id order by updated_at
        ) as previous_stage_rank,
        lag(amount) over (partition by opportunity_id order by updated_at) as previous_amount,
        lag(currency) over (partition by opportunity_id order by updated_at) as previous_currency,
        lag(expected_close_date) over (
            partition by opportunity_id order by updated_at
        ) as previous_expected_close_date,
        lag(is_closed) over (partition by opportunity_id order by updated_at) as previous_is_closed,
        lag(is_won) over (partition by opportunity_id order by updated_at) as previous_is_won
    from snapshots_ranked

),

snapshots_classified as (

    select
        *,
        case
            when snapshot_number = 1 then 'created'
            when stage = previous_stage then 'updated'
            when stage_rank is null or previous_stage_rank is null then 'stage_changed'
            when stage_rank > previous_stage_rank then 'advanced'
            when stage_rank < previous_stage_rank then 'regressed'
            else 'stage_changed'
        end as change_type,
        snapshot_number = 1
        or stage != previous_stage
        or amount != previous_amount
        or currency != previous_currency
        or is_closed != previous_is_closed
        or is_won != previous_is_won
        or coalesce(cast(expected_close_date as {{ dbt.type_string() }}), '')
        != coalesce(cast(previous_expected_close_date as {{ dbt.type_string() }}), '')
            as is_change
    from snapshots_with_previous

),

stage_history as (

    select
        opportunity_id,
        updated_at,
        cast(snapshot_number as bigint) as snapshot_number,
        change_type,
        change_type = 'regressed' as is_stage_regression,
        stage,
        cast(stage_rank as integer) as stage_rank,
        previous_stage,
        cast(previous_stage_rank as integer) as previous_stage_rank,
        currency,
        cast(amount as decimal(18, 6)) as amount,
        cast(previous_amount as decimal(18, 6)) as previous_amount,
        reporting_currency,
        cast(amount_rc as decimal(38, 12)) as amount_rc,
        expected_close_date,
        is_closed,
        is_won,
        is_current,
        source_file,
        source_line_number
    from snapshots_classified
    where is_change

)

select * from stage_history
