{#
    Engine differences that are not one function's name: each macro's default serves DuckDB (and
    PostgreSQL-like engines), its `spark__` version Spark 4. Pinned by tests/macros/assert_portability_macros.sql
    on DuckDB and by tests/integration/test_engine_comparison.py on Spark.
#}

{#
    `measure` of the group's rows joined with `delimiter`, in the order of `order_by` (a list of
    expressions, ascending); NULL measures are skipped, and a group of only NULLs gives NULL.
    dbt-spark's `listagg` ignores its order argument (collect_list keeps no order), which scrambled
    Markov paths in the trial.
#}
{% macro roi_listagg(measure, delimiter, order_by) -%}
    {{ return(adapter.dispatch('roi_listagg')(measure, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__roi_listagg(measure, delimiter, order_by) -%}
    {{ dbt.listagg(measure, delimiter, 'order by ' ~ (order_by | join(', '))) }}
{%- endmacro %}

{#- Spark 4 has `listagg ... within group`; it skips NULLs and gives NULL for none, like DuckDB. -#}
{% macro spark__roi_listagg(measure, delimiter, order_by) -%}
    listagg({{ measure }}, {{ delimiter }}) within group (order by {{ order_by | join(', ') }})
{%- endmacro %}

{#
    `row_number()` as a bigint: DuckDB's is a bigint, Spark's an int, so a contract on either would
    fail on the other. `over` is the window's specification.
#}
{% macro roi_row_number(over) -%}
    cast(row_number() over ({{ over }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#
    `numerator / denominator` as a double. A literal like `1.0` is a decimal on Spark (and
    PostgreSQL), so `1.0 / 3` is a decimal rounded to a few places there and a double on DuckDB.
#}
{% macro roi_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / {{ denominator }})
{%- endmacro %}

{#
    dbt-spark's `dateadd` for days and weeks is `date_add`, which returns a date: a timestamp loses
    its time of day (30 days before 10:15 became midnight). `timestampadd` keeps it, and for a date
    it returns midnight of the day, as DuckDB's `date + interval` does. Found before dbt's own by
    the project's `dispatch` search order (dbt_project.yml).
#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{#
    The materialization of a model that is a view on DuckDB (a solver's input, a mart over the MMM's
    tables read at query time). On Spark it is a table in the lake: the DuckDB warehouse reads Spark's
    models through their Parquet, and a Spark view has none. Databricks (dbt-databricks, built on
    dbt-spark) is Spark too.
#}
{% macro roi_view_materialization() -%}
    {{ return('table' if target.type in ('spark', 'databricks') else 'view') }}
{%- endmacro %}

{#
    A double as money in decimal(precision, scale), the same on every engine: every money column
    cast from a double goes through here.

    A double holds 15 to 17 significant decimal digits, and only 15 are sure (DBL_DIG: any decimal
    of 15 significant digits survives the trip into a double and back); what a plain cast shows
    beyond them is binary noise, and the engines show different noise. DuckDB's cast scales the
    exact binary value in double arithmetic (16719.02335894 becomes 16719.023358940002 in
    decimal(38, 12)), Spark's rounds Java's shortest decimal string of the double
    (16719.023358940000); and a value halfway between two steps of the scale (the mean of two
    amounts of 6 decimals, cast to 6) is rounded up by one and down by the other. So the double is
    rounded to its first 15 significant digits, and never below the scale: all `scale` decimals
    while it has at most 15 - scale digits before the point, one decimal fewer for each further
    digit (decimal(38, 12) keeps 12 decimals below 1,000 and 10 at 16,719.02; decimal(18, 6) keeps
    its micros below 10^9). Past 10^15 (only a type with more than 15 digits before the point gets
    there) whole units are kept: no money is that large.

    Only exact steps, so both engines give the same digits: the value times a power of ten (an
    exact constant; one IEEE rounding, the same on both), rounded to a whole number (below 10^15,
    so exact, and halves away from zero on both), cast to a decimal and scaled back by a decimal
    constant. `expression` is cast to a double first; for the same digits on both engines it must
    be the same double on both (exact_sum for sums, roi_divide for divisions; a libm function such
    as pow can differ in its last bit between engines).
#}
{% macro roi_decimal_from_double(expression, precision, scale) -%}
    {%- set value = 'cast(' ~ expression ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set lowest_scale = [0, [scale, 15 - (precision - scale)] | min] | max -%}
    {%- set rounded = [] -%}
    {%- for kept in range(scale, lowest_scale - 1, -1) -%}
        {%- do rounded.append(
            'cast(round(' ~ value ~ ') as decimal(20, 0))' if kept == 0
            else 'cast(round(' ~ value ~ ' * ' ~ 10 ** kept ~ ') as decimal(20, 0)) * 0.' ~ '0' * (kept - 1) ~ '1'
        ) -%}
    {%- endfor -%}
    cast(
        {%- if rounded | length == 1 %}
        {{ rounded[0] }}
        {%- else %}
        case
            {%- for kept in range(scale, lowest_scale, -1) %}
            when abs({{ value }}) < {{ 10 ** (15 - kept) }} then {{ rounded[loop.index0] }}
            {%- endfor %}
            else {{ rounded[-1] }}
        end
        {%- endif %}
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}

{#
    A double as decimal(38, 18), the double's binary value rounded to 18 decimals: exact_sum's terms.
    DuckDB's cast is that: the double times 10^18 (one IEEE rounding), rounded to a whole number
    (halves away from zero), which is the decimal's unscaled value. Spark's cast rounds Java's
    shortest decimal string of the double instead (1/12 is 0.083333333333333328 on DuckDB,
    ...330 on Spark), so Spark takes DuckDB's steps: the same product and rounding (exact IEEE
    operations; the rounding is of a whole number or of a fraction whose side of a half the string
    keeps), then the whole number into the decimal without its string, in three parts cast to bigints
    (the quotient by 2^64 and the remainders by 2^64 and 2^32: divisions by powers of two and
    remainders of doubles are exact). The last step multiplies by 10^-18, exact only with
    `spark.sql.decimalOperations.allowPrecisionLoss` false, as the spark target sets it.
#}
{% macro roi_decimal18_from_double(expression) -%}
    {{ return(adapter.dispatch('roi_decimal18_from_double')(expression)) }}
{%- endmacro %}

{% macro default__roi_decimal18_from_double(expression) -%}
    cast({{ expression }} as decimal(38, 18))
{%- endmacro %}

{% macro spark__roi_decimal18_from_double(expression) -%}
    {%- set scaled = 'round(cast(' ~ expression ~ ' as double) * cast(1e18 as double))' -%}
    {%- set two_32 = 'cast(4294967296 as double)' -%}
    {%- set two_64 = '(' ~ two_32 ~ ' * ' ~ two_32 ~ ')' -%}
    cast(
        (
            cast(cast({{ scaled }} / {{ two_64 }} as bigint) as decimal(38, 0)) * 18446744073709551616
            + cast(cast(({{ scaled }} % {{ two_64 }}) / {{ two_32 }} as bigint) as decimal(38, 0)) * 4294967296
            + cast(cast({{ scaled }} % {{ two_32 }} as bigint) as decimal(38, 0))
        ) * 0.000000000000000001
        as decimal(38, 18)
    )
{%- endmacro %}
