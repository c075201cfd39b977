-- The portability macros (macros/roi_portability.sql and the spark__ versions), as dispatched: the same
-- answers on every engine. roi_listagg keeps the order asked for (two keys, the second breaking the
-- tie), skips NULLs and gives NULL for a group of NULLs; roi_divide divides in double precision;
-- roi_row_number counts 1, 2, 3; day_of_week is 0 on a Sunday and 6 on a Saturday; dbt.dateadd keeps
-- a timestamp's time of day to the fraction of a second (dbt-spark's own cut it to midnight) and gives
-- midnight of the day for a date; roi_decimal_from_double keeps a double's first 15 significant digits
-- (no binary noise: DuckDB's plain cast gives 16719.023358940002 and 123456789012.345669025792 below),
-- never more than the scale, halves away from zero, NULL for NULL; roi_decimal18_from_double is the double's
-- binary value times 10^18 in double arithmetic, rounded halves away from zero (1/12 is ...328, where Spark's
-- plain cast gives ...330). On Spark the engine comparison builds these too
-- (tests/integration/test_engine_comparison.py).
with

path_touches as (

    select
        journey,
        channel,
        touch_day,
        touch_order
    from (
        values
            (1, 'search', 2, 1),
            (1, 'email', 1, 9),
            (1, 'social', 2, 0),
            (1, cast(null as {{ dbt.type_string() }}), 1, 5),
            (2, cast(null as {{ dbt.type_string() }}), 1, 1)
    ) as touches (journey, channel, touch_day, touch_order)  -- noqa: AL05

),

paths as (

    select
        journey,
        {{ roi_listagg('channel', "' > '", ['touch_day', 'touch_order']) }} as channel_path
    from path_touches
    group by journey

),

numbered as (

    select
        channel,
        {{ roi_row_number('order by touch_day, touch_order') }} as touch_number
    from path_touches
    where journey = 1

),

results as (

    select
        (select channel_path from paths where journey = 1) as ordered_path,
        (select count(*) from paths where journey = 2 and channel_path is null) as null_paths,
        {{ roi_divide(1, 3) }} as one_third,
        (select sum(touch_number) from numbered) as touch_number_sum,
        (select max(touch_number) from numbered) as last_touch_number,
        {{ day_of_week("cast('2024-03-03' as date)") }} as sunday,
        {{ day_of_week("cast('2024-03-09' as date)") }} as saturday,
        cast({{ dbt.dateadd('day', -30, "cast('2025-03-01 10:15:30.25' as timestamp)") }} as timestamp)
            as thirty_days_before,
        cast({{ dbt.dateadd('day', 1, "cast('2024-02-28' as date)") }} as timestamp) as day_after,
        {{ roi_decimal_from_double('cast(16719.02335894 as ' ~ type_double() ~ ')', 38, 12) }} as noisy_amount,
        {{ roi_decimal_from_double('cast(123456789012.345678 as ' ~ type_double() ~ ')', 38, 12) }} as large_amount,
        {{ roi_decimal_from_double(roi_divide(100, 3), 38, 12) }} as third_of_hundred,
        {{ roi_decimal_from_double('cast(-2.0000005 as ' ~ type_double() ~ ')', 18, 6) }} as negative_half,
        {{ roi_decimal_from_double('cast(null as ' ~ type_double() ~ ')', 18, 6) }} as no_amount,
        {{ roi_decimal18_from_double(roi_divide(1, 12)) }} as twelfth,
        {{ roi_decimal18_from_double(roi_divide(-1, 12)) }} as minus_twelfth,
        {{ roi_decimal18_from_double('cast(16719.02335894 as ' ~ type_double() ~ ')') }} as binary_amount,
        {{ roi_decimal18_from_double('cast(2.5e-18 as ' ~ type_double() ~ ')') }} as half_step,
        {{ roi_decimal18_from_double('cast(null as ' ~ type_double() ~ ')') }} as no_term

),

expectations as (

    select
        'roi_listagg orders by every key and skips NULLs' as expectation,
        ordered_path = 'email > social > search' and null_paths = 1 as is_met
    from results
    union all
    select
        'roi_divide divides in double precision' as expectation,
        abs(one_third - 0.333333333333333) < 1e-15 as is_met
    from results
    union all
    select
        'roi_row_number counts from 1' as expectation,
        touch_number_sum = 10 and last_touch_number = 4 as is_met
    from results
    union all
    select
        'day_of_week: 0 = Sunday ... 6 = Saturday' as expectation,
        sunday = 0 and saturday = 6 as is_met
    from results
    union all
    select
        'dateadd keeps the time of day and its fraction' as expectation,
        thirty_days_before = cast('2025-01-30 10:15:30.25' as timestamp)
        and day_after = cast('2024-02-29 00:00:00' as timestamp) as is_met
    from results
    union all
    select
        'roi_decimal_from_double keeps 15 significant digits, at most the scale' as expectation,
        noisy_amount = cast('16719.02335894' as decimal(38, 12))
        and large_amount = cast('123456789012.346' as decimal(38, 12))
        and third_of_hundred = cast('33.333333333333' as decimal(38, 12))
        and negative_half = cast('-2.000001' as decimal(18, 6))
        and no_amount is null as is_met
    from results
    union all
    select
        'roi_decimal18_from_double is the binary value to 18 decimals, halves away from zero' as expectation,
        twelfth = cast('0.083333333333333328' as decimal(38, 18))
        and minus_twelfth = cast('-0.083333333333333328' as decimal(38, 18))
        and binary_amount = cast('16719.023358940001861632' as decimal(38, 18))
        and half_step = cast('0.000000000000000003' as decimal(38, 18))
        and no_term is null as is_met
    from results

)

select * from expectations
where not is_met
