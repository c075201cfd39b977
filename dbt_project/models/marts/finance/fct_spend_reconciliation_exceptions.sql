{#
    The reconciliation work list for finance: every account-month that is not
    matched, largest difference first (in the reporting currency, so a yen
    and a dollar difference compare), with what to do next. A month still
    open is only listed once an invoice for it has arrived: spend without an
    invoice is expected until the month closes.
#}

{{ config(materialized=roi_view_materialization()) }}

with

spend_reconciliation as (

    select * from {{ ref('fct_spend_reconciliation') }}

),

exceptions as (

    select * from spend_reconciliation
    where
        status != 'matched'
        and (is_closed or status != 'missing_invoice')

),

exceptions_ranked as (

    select
        {{ roi_row_number(
            'order by abs(difference_rc) desc nulls last, platform asc, platform_account_id asc, billing_period asc'
        ) }} as exception_rank,
        platform,
        platform_account_id,
        billing_period,
        status,
        currency,
        platform_spend,
        invoiced_amount,
        difference,
        tolerance_amount,
        reporting_currency,
        difference_rc,
        invoice_ids,
        is_closed,
        case
            when status = 'missing_invoice'
                then 'no posted invoice: request it from the vendor, or accrue the spend'
            when status = 'missing_platform_spend'
                then 'invoice without spend: check account and month, or a fee billed apart'
            when difference > 0
                then 'overbilled: dispute it, or find spend missing from the platform data'
            else 'underbilled: look for a partial, missing or credited invoice'
        end as next_step
    from exceptions

)

select * from exceptions_ranked
order by exception_rank
