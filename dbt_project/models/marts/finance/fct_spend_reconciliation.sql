{#
    Platform spend against vendor invoices, per platform x platform account x
    billing month, in the invoice's currency.

    - Invoiced: the sum of the account-month's posted invoices (a void
      invoice bills nothing). Posted invoices of one account-month in two
      currencies cannot be summed: they break the grain test.
    - Platform spend: the account's spend that month, as restated (staging
      keeps the latest version). Spend in another currency than the invoice
      is converted through the reporting currency: its spend_rc (daily rates)
      at the invoice currency's period-end rate (int_fx_rates_by_period).
    - currency: the invoice's; with no posted invoice, the spend's (the
      reporting currency if the month's spend is in several currencies).
    - difference = invoiced - platform (a missing side counts as 0); matched
      when |difference| <= max(tolerance_pct x |invoiced|, tolerance_abs).
    - An account-month with neither non-zero spend nor a posted invoice has
      nothing to reconcile and is left out.
#}

{%- set tolerance_pct = 'cast(' ~ var('reconciliation_tolerance_pct') ~ ' as decimal(18, 6))' -%}
{%- set tolerance_abs = 'cast(' ~ var('reconciliation_tolerance_abs') ~ ' as decimal(18, 6))' -%}

with

marketing_spend_daily as (

    select * from {{ ref('fct_marketing_spend_daily') }}

),

vendor_invoices as (

    select * from {{ ref('stg_erp__vendor_invoices') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

fx_rates_by_period as (

    select * from {{ ref('int_fx_rates_by_period') }}

),

spend_by_account_month_and_currency as (

    select
        platform,
        account_id as platform_account_id,
        {{ month_period_of('spend_date') }} as billing_period,
        currency as spend_currency,
        sum(spend) as spend,
        sum(spend_rc) as spend_rc
    from marketing_spend_daily
    group by
        platform,
        account_id,
        {{ month_period_of('spend_date') }},
        currency

),

spend_by_account_month as (

    select
        platform,
        platform_account_id,
        billing_period,
        min(spend_currency) as spend_currency,
        count(*) as spend_currency_count,
        sum(spend_rc) as platform_spend_rc
    from spend_by_account_month_and_currency
    group by platform, platform_account_id, billing_period

),

invoices_by_account_month as (

    select
        platform,
        platform_account_id,
        billing_period,
        currency,
        sum(case when status = 'posted' then amount end) as invoiced_amount,
        count(case when status = 'posted' then 1 end) as posted_invoice_count,
        count(case when status = 'void' then 1 end) as void_invoice_count,
        {{ roi_listagg(
            "case when status = 'posted' then invoice_id end",
            "', '",
            ['invoice_id']
        ) }} as invoice_ids
    from vendor_invoices
    group by platform, platform_account_id, billing_period, currency

),

posted_invoices_by_account_month as (

    select * from invoices_by_account_month
    where posted_invoice_count > 0

),

account_months as (

    select
        coalesce(
            spend_by_account_month.platform, posted_invoices_by_account_month.platform
        ) as platform,
        coalesce(
            spend_by_account_month.platform_account_id,
            posted_invoices_by_account_month.platform_account_id
        ) as platform_account_id,
        coalesce(
            spend_by_account_month.billing_period,
            posted_invoices_by_account_month.billing_period
        ) as billing_period,
        case
            when posted_invoices_by_account_month.currency is not null
                then posted_invoices_by_account_month.currency
            when spend_by_account_month.spend_currency_count = 1
                then spend_by_account_month.spend_currency
            else '{{ var("reporting_currency") }}'
        end as currency,
        spend_by_account_month.platform_spend_rc,
        posted_invoices_by_account_month.invoiced_amount,
        coalesce(posted_invoices_by_account_month.posted_invoice_count, 0) as posted_invoice_count,
        posted_invoices_by_account_month.invoice_ids
    from spend_by_account_month
    full outer join posted_invoices_by_account_month
        on
            spend_by_account_month.platform = posted_invoices_by_account_month.platform
            and spend_by_account_month.platform_account_id
            = posted_invoices_by_account_month.platform_account_id
            and spend_by_account_month.billing_period
            = posted_invoices_by_account_month.billing_period

),

void_invoices as (

    select
        platform,
        platform_account_id,
        billing_period,
        sum(void_invoice_count) as void_invoice_count
    from invoices_by_account_month
    group by platform, platform_account_id, billing_period

),

-- spend in the account-month's currency: as is, or via the reporting currency
spend_to_reconcile as (

    select
        account_months.platform,
        account_months.platform_account_id,
        account_months.billing_period,
        sum(
            case
                when spend_by_account_month_and_currency.spend_currency = account_months.currency
                    then spend_by_account_month_and_currency.spend
                else {{ roi_decimal_from_double(
                    roi_divide(
                        'spend_by_account_month_and_currency.spend_rc',
                        'fx_rates_by_period.period_end_fx_rate'
                    ), 38, 6
                ) }}
            end
        ) as platform_spend,
        max(
            case
                when spend_by_account_month_and_currency.spend_currency != account_months.currency
                    then 1
                else 0
            end
        ) = 1 as is_spend_converted
    from account_months
    inner join spend_by_account_month_and_currency
        on
            account_months.platform = spend_by_account_month_and_currency.platform
            and account_months.platform_account_id
            = spend_by_account_month_and_currency.platform_account_id
            and account_months.billing_period = spend_by_account_month_and_currency.billing_period
    left join fx_rates_by_period
        on
            account_months.billing_period = fx_rates_by_period.fiscal_period
            and account_months.currency = fx_rates_by_period.currency
    group by
        account_months.platform,
        account_months.platform_account_id,
        account_months.billing_period

),

account_months_compared as (

    select
        account_months.platform,
        account_months.platform_account_id,
        account_months.billing_period,
        account_months.currency,
        spend_to_reconcile.platform_spend,
        account_months.invoiced_amount,
        coalesce(spend_to_reconcile.is_spend_converted, false) as is_spend_converted,
        account_months.posted_invoice_count,
        coalesce(void_invoices.void_invoice_count, 0) as void_invoice_count,
        account_months.invoice_ids,
        coalesce(account_months.platform_spend_rc, 0) as platform_spend_rc,
        fx_rates_by_period.period_end_fx_rate as fx_rate,
        fx_rates_by_period.period_end_fx_rate_date as fx_rate_date,
        periods.is_closed
    from account_months
    inner join periods
        on account_months.billing_period = periods.fiscal_period
    left join spend_to_reconcile
        on
            account_months.platform = spend_to_reconcile.platform
            and account_months.platform_account_id = spend_to_reconcile.platform_account_id
            and account_months.billing_period = spend_to_reconcile.billing_period
    left join void_invoices
        on
            account_months.platform = void_invoices.platform
            and account_months.platform_account_id = void_invoices.platform_account_id
            and account_months.billing_period = void_invoices.billing_period
    left join fx_rates_by_period
        on
            account_months.billing_period = fx_rates_by_period.fiscal_period
            and account_months.currency = fx_rates_by_period.currency

),

differences as (

    select
        *,
        coalesce(invoiced_amount, 0) - coalesce(platform_spend, 0) as difference,
        case
            when invoiced_amount is null then null
            when {{ tolerance_pct }} * abs(invoiced_amount) > {{ tolerance_abs }}
                then {{ tolerance_pct }} * abs(invoiced_amount)
            else {{ tolerance_abs }}
        end as tolerance_amount,
        coalesce(platform_spend, 0) != 0 as has_platform_spend,
        posted_invoice_count > 0 as has_posted_invoice
    from account_months_compared

),

-- neither non-zero spend nor a posted invoice: nothing to reconcile
reconcilable_account_months as (

    select * from differences
    where has_platform_spend or has_posted_invoice

),

reconciled as (

    select
        platform,
        platform_account_id,
        billing_period,
        currency,
        cast(platform_spend as decimal(38, 6)) as platform_spend,
        cast(invoiced_amount as decimal(38, 6)) as invoiced_amount,
        cast(difference as decimal(38, 6)) as difference,
        cast(tolerance_amount as decimal(38, 6)) as tolerance_amount,
        case
            when not has_platform_spend then 'missing_platform_spend'
            when not has_posted_invoice then 'missing_invoice'
            when abs(difference) <= tolerance_amount then 'matched'
            else 'mismatched'
        end as status,
        is_spend_converted,
        cast(posted_invoice_count as integer) as posted_invoice_count,
        cast(void_invoice_count as integer) as void_invoice_count,
        invoice_ids,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(platform_spend_rc as decimal(38, 12)) as platform_spend_rc,
        {{ convert_to_rc('difference', 'fx_rate') }} as difference_rc,
        cast(fx_rate as {{ type_fx_rate() }}) as fx_rate,
        fx_rate_date,
        is_closed
    from reconcilable_account_months

)

select * from reconciled
