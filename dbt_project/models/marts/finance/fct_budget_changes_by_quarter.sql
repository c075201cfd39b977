{#
    fct_budget_changes rolled up per fiscal quarter of the periods changed x
    budget version: how many line-months each version created or changed,
    and by how much in the reporting currency (increases and decreases kept
    apart, and their net). The annual plan shows as its `initial` rows; a
    quarterly reallocation or reforecast as the changes it made.
#}

with

budget_changes as (

    select * from {{ ref('fct_budget_changes') }}

),

changes_by_quarter as (

    select
        fiscal_quarter_label,
        budget_version,
        min(fiscal_year) as fiscal_year,
        min(fiscal_year_label) as fiscal_year_label,
        min(fiscal_quarter) as fiscal_quarter,
        min(approved_at) as approved_at,
        min(approved_by) as approved_by,
        count(*) as line_periods,
        count(case when change_type = 'initial' then 1 end) as initial_line_periods,
        count(case when change_type != 'initial' then 1 end) as changed_line_periods,
        sum(case when change_type = 'initial' then amount_rc else 0 end) as initial_rc,
        sum(case when change_type != 'initial' and delta_rc > 0 then delta_rc else 0 end)
            as increase_rc,
        sum(case when change_type != 'initial' and delta_rc < 0 then delta_rc else 0 end)
            as decrease_rc,
        sum(delta_rc) as net_delta_rc
    from budget_changes
    group by fiscal_quarter_label, budget_version

),

budget_changes_by_quarter as (

    select
        fiscal_quarter_label,
        budget_version,
        fiscal_year,
        fiscal_year_label,
        fiscal_quarter,
        approved_at,
        approved_by,
        cast(line_periods as integer) as line_periods,
        cast(initial_line_periods as integer) as initial_line_periods,
        cast(changed_line_periods as integer) as changed_line_periods,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(initial_rc as decimal(38, 12)) as initial_rc,
        cast(increase_rc as decimal(38, 12)) as increase_rc,
        cast(decrease_rc as decimal(38, 12)) as decrease_rc,
        cast(net_delta_rc as decimal(38, 12)) as net_delta_rc
    from changes_by_quarter

)

select * from budget_changes_by_quarter
