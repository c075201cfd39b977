-- The attribution macros, as dispatched and by their portable defaults:
-- month_period_of names the month of a date or timestamp as YYYY-MM (the last
-- second of January is January); seconds_between is exact to the fraction of
-- a second and signed; type_double keeps 1/3 to double precision (a 4-byte
-- float would lose it after 7 digits); regex_matches searches (a match
-- anywhere, unless the pattern is anchored) and an empty value can match.
with

fixture as (

    select
        cast('2025-01-31 23:59:59.5' as timestamp) as late_january,
        cast('2025-02-01 00:00:00' as timestamp) as early_february,
        cast('2024-12-09' as date) as december_day

),

results as (

    select
        {{ month_period_of('late_january') }} as late_january_period,
        {{ default__month_period_of('late_january') }} as late_january_period_default,
        {{ month_period_of('december_day') }} as december_period,
        {{ seconds_between('late_january', 'early_february') }} as seconds_forward,
        {{ default__seconds_between('late_january', 'early_february') }} as seconds_forward_default,
        {{ seconds_between('early_february', 'late_january') }} as seconds_backward,
        cast(1 as {{ type_double() }}) / 3 as one_third,
        {{ regex_matches("'www.google.co.uk'", "'^([a-z0-9-]+\\.)*(google|bing)(\\.[a-z]+)*$'") }}
            as search_site_matches,
        {{ regex_matches("'googleads.example'", "'^([a-z0-9-]+\\.)*(google|bing)(\\.[a-z]+)*$'") }}
            as lookalike_matches,
        {{ regex_matches("'web-push'", "'push$'") }} as unanchored_start_matches,
        {{ regex_matches("''", "'^(direct|)$'") }} as empty_value_matches
    from fixture

),

expectations as (

    select
        'month_period_of gives YYYY-MM' as expectation,
        late_january_period = '2025-01'
        and late_january_period_default = '2025-01'
        and december_period = '2024-12' as is_met
    from results
    union all
    select
        'seconds_between is exact and signed' as expectation,
        seconds_forward = 0.5
        and seconds_forward_default = 0.5
        and seconds_backward = -0.5 as is_met
    from results
    union all
    select
        'type_double keeps double precision' as expectation,
        abs(one_third - 0.333333333333333) < 1e-15 as is_met
    from results
    union all
    select
        'regex_matches searches, anchors hold, empty values match' as expectation,
        search_site_matches
        and not lookalike_matches
        and unanchored_start_matches
        and empty_value_matches as is_met
    from results

)

select * from expectations
where not is_met
