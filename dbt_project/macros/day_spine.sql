{#
    One row per calendar day, column `date_day` (a date), from `start_date` to
    `end_date`, both included. The arguments are SQL expressions (a literal, a
    column of a one-row CTE, a scalar subquery); no rows when either is null.
#}
{% macro day_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__day_spine(start_date, end_date) -%}
    with recursive days (date_day) as (
        select cast({{ start_date }} as date)
        where cast({{ end_date }} as date) >= cast({{ start_date }} as date)
        union all
        select cast({{ dbt.dateadd('day', 1, 'date_day') }} as date)
        from days
        where date_day < cast({{ end_date }} as date)
    )

    select date_day from days
{%- endmacro %}

{% macro duckdb__day_spine(start_date, end_date) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as date),
        cast({{ end_date }} as date),
        interval 1 day
    )) as date) as date_day
{%- endmacro %}

{#- Spark: `with recursive` needs Spark 4 and a recursion limit; a generated array is one step on every
    version. `sequence` refuses a start after the end, hence the empty array (no rows, as above). -#}
{% macro spark__day_spine(start_date, end_date) -%}
    select explode(
        case
            when cast({{ end_date }} as date) >= cast({{ start_date }} as date)
                then sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)
            else cast(array() as array<date>)
        end
    ) as date_day
{%- endmacro %}
