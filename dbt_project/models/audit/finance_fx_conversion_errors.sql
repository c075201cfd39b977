{#
    Every finance amount that could not be converted into the reporting
    currency, with the reason in words: GL lines with a budget line (at their
    posting date), current budgets (at their period-start rate) and
    reconciliation account-months (at the invoice currency's period-end
    rate). A test keeps this empty (severity error), as
    audit.fx_conversion_errors does for spend: booked actuals, budgets and
    reconciliation figures never lose an amount silently.
#}

with

gl_lines_converted_to_rc as (

    select * from {{ ref('int_gl_lines_converted_to_rc') }}

),

budgets_current as (

    select * from {{ ref('int_budgets_current') }}

),

fx_rates_by_period as (

    select * from {{ ref('int_fx_rates_by_period') }}

),

spend_reconciliation as (

    select * from {{ ref('fct_spend_reconciliation') }}

),

amounts_without_fx_rate as (

    select
        'gl_journal_lines' as source_name,
        {{ dbt.concat(["journal_id", "'/'", "journal_line_id"]) }} as record_key,
        fiscal_period,
        currency,
        cast(amount as decimal(38, 6)) as amount,
        posting_date as rate_lookup_date,
        'posting date' as rate_rule,
        source_file,
        source_line_number
    from gl_lines_converted_to_rc
    where not has_fx_rate

    union all

    select
        'budgets' as source_name,
        {{ dbt.concat([
            "budgets_current.budget_version", "'/'",
            "budgets_current.fiscal_period", "'/'",
            "budgets_current.budget_line_id",
        ]) }} as record_key,
        budgets_current.fiscal_period,
        budgets_current.currency,
        cast(budgets_current.amount as decimal(38, 6)) as amount,
        fx_rates_by_period.period_start_lookup_date as rate_lookup_date,
        'period start, or the last rate date' as rate_rule,
        budgets_current.source_file,
        budgets_current.source_line_number
    from budgets_current
    left join fx_rates_by_period
        on
            budgets_current.fiscal_period = fx_rates_by_period.fiscal_period
            and budgets_current.currency = fx_rates_by_period.currency
    where not budgets_current.has_fx_rate

    union all

    select
        'spend_reconciliation' as source_name,
        {{ dbt.concat([
            "spend_reconciliation.platform", "'/'",
            "spend_reconciliation.platform_account_id", "'/'",
            "spend_reconciliation.billing_period",
        ]) }} as record_key,
        spend_reconciliation.billing_period as fiscal_period,
        spend_reconciliation.currency,
        spend_reconciliation.difference as amount,
        fx_rates_by_period.period_end_lookup_date as rate_lookup_date,
        'period end, or the last rate date' as rate_rule,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as bigint) as source_line_number
    from spend_reconciliation
    left join fx_rates_by_period
        on
            spend_reconciliation.billing_period = fx_rates_by_period.fiscal_period
            and spend_reconciliation.currency = fx_rates_by_period.currency
    where spend_reconciliation.fx_rate is null

),

errors_explained as (

    select
        source_name,
        record_key,
        fiscal_period,
        currency,
        amount,
        '{{ var("reporting_currency") }}' as reporting_currency,
        rate_lookup_date,
        {{ dbt.concat([
            "'no '",
            "currency",
            "'→" ~ var('reporting_currency') ~ " rate within " ~ var('fx_max_staleness_days') ~ " days before '",
            "coalesce(cast(rate_lookup_date as " ~ dbt.type_string() ~ "), 'the period')",
            "' ('",
            "rate_rule",
            "')'",
        ]) }} as reason,
        source_file,
        source_line_number
    from amounts_without_fx_rate

)

select * from errors_explained
