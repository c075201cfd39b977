{#
    One rate into the reporting currency per rate_date and currency, from the
    quotes treasury published that day: a direct quote (X -> RC) if there is
    one, else the inverse of the opposite quote (RC -> X: 1 / rate), else a
    cross rate through one pivot currency P on the same rate_date
    (X -> P x P -> RC, either leg possibly inverse). Between several pivots,
    the one with fewer inverse legs wins, then the pivot code alphabetically.

    Direct rates and crosses of two direct quotes are exact decimals. An
    inverse (and a cross with an inverse leg) is computed in double precision,
    since decimal division is not exact in every engine (DuckDB returns a
    double), then stored at the FX rate scale: relative error ~1e-16.
#}

with

fx_rates as (

    select * from {{ ref('stg_treasury__fx_rates') }}

),

-- every published quote read both ways
quotes as (

    select
        rate_date,
        from_currency,
        to_currency,
        cast(rate as {{ type_fx_rate() }}) as rate,
        false as is_inverse
    from fx_rates
    where from_currency != to_currency

    union all

    select
        rate_date,
        to_currency as from_currency,
        from_currency as to_currency,
        cast(
            1 / cast(rate as {{ type_double() }}) as {{ type_fx_rate() }}
        ) as rate,
        true as is_inverse
    from fx_rates
    where from_currency != to_currency

),

quotes_into_rc as (

    select
        rate_date,
        from_currency as currency,
        rate,
        case when is_inverse then 'inverse' else 'direct' end as rate_source,
        cast(null as {{ dbt.type_string() }}) as pivot_currency,
        case when is_inverse then 2 else 1 end as source_priority,
        0 as inverse_leg_count
    from quotes
    where to_currency = '{{ var("reporting_currency") }}'

),

cross_rates_into_rc as (

    select
        first_leg.rate_date,
        first_leg.from_currency as currency,
        case
            -- two published quotes: their exact decimal product
            when not first_leg.is_inverse and not second_leg.is_inverse
                then cast(
                    cast(first_leg.rate as decimal(18, 10))
                    * cast(second_leg.rate as decimal(18, 10))
                    as {{ type_fx_rate() }}
                )
            else cast(
                cast(first_leg.rate as {{ type_double() }})
                * cast(second_leg.rate as {{ type_double() }})
                as {{ type_fx_rate() }}
            )
        end as rate,
        'cross' as rate_source,
        first_leg.to_currency as pivot_currency,
        3 as source_priority,
        case when first_leg.is_inverse then 1 else 0 end
        + case when second_leg.is_inverse then 1 else 0 end as inverse_leg_count
    from quotes as first_leg
    inner join quotes as second_leg
        on
            first_leg.rate_date = second_leg.rate_date
            and first_leg.to_currency = second_leg.from_currency
    where
        second_leg.to_currency = '{{ var("reporting_currency") }}'
        and first_leg.from_currency != '{{ var("reporting_currency") }}'
        and first_leg.to_currency != '{{ var("reporting_currency") }}'

),

candidate_rates as (

    select * from quotes_into_rc
    union all
    select * from cross_rates_into_rc

),

candidate_rates_ranked as (

    select
        *,
        row_number() over (
            partition by rate_date, currency
            order by source_priority, inverse_leg_count, pivot_currency
        ) as candidate_rank
    from candidate_rates

),

fx_rates_resolved as (

    select
        rate_date,
        currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        rate,
        rate_source,
        pivot_currency
    from candidate_rates_ranked
    where candidate_rank = 1

)

select * from fx_rates_resolved
