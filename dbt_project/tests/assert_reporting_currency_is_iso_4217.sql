-- The reporting currency (var reporting_currency, from ROI_REPORTING_CURRENCY)
-- must be an ISO 4217 code, or every _rc column would be meaningless.
with

iso_currencies as (

    select * from {{ ref('iso_currencies') }}

),

reporting_currency as (

    select '{{ var("reporting_currency") }}' as currency_code

)

select reporting_currency.currency_code
from reporting_currency
left join iso_currencies
    on reporting_currency.currency_code = iso_currencies.currency_code
where iso_currencies.currency_code is null
