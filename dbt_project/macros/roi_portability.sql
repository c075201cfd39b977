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
    models through their Parquet, and a Spark view has none.
#}
{% macro roi_view_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'view') }}
{%- endmacro %}
