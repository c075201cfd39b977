{#
    Registers the dbt sources that live in the lake as external Parquet tables of the Spark catalog, so
    `source()` reads them: the raw tables (`<lake>/raw/<table>/`, written by the DuckDB ingestion after
    each committed load, orchestration/lib/lake.py) and the tables Dagster assets write (attribution
    solvers, the MMM, the optimiser: `<lake>/sources/<schema>/<table>/`, exported before each Spark
    invocation, orchestration/lib/spark_engine.py). ROI_LAKE_SOURCES lists the `schema.table`s the lake
    holds (a source with no file yet cannot be registered: Spark cannot infer its schema). Run as the
    project's on-run-start hook; a table is registered anew each time so it sees the files written since.
    On DuckDB there is nothing to do.
#}
{% macro roi_register_lake_sources() -%}
    {{ return(adapter.dispatch('roi_register_lake_sources')()) }}
{%- endmacro %}

{% macro default__roi_register_lake_sources() -%}
    select 1 as nothing_to_register
{%- endmacro %}

{% macro spark__roi_register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('ROI_LAKE') -%}
        {%- set exported = env_var('ROI_LAKE_SOURCES', '').split(',') -%}
        {%- for source in graph.sources.values() -%}
            {%- if (source.schema ~ '.' ~ source.identifier) not in exported -%}
                {%- set location = none -%}
            {%- elif source.schema == 'raw' -%}
                {%- set location = lake ~ '/raw/' ~ source.identifier -%}
            {%- else -%}
                {%- set location = lake ~ '/sources/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- endif -%}
            {%- if location is not none -%}
                {%- call statement('register_' ~ source.schema ~ '_' ~ source.identifier) -%}
                    create schema if not exists {{ source.schema }}
                {%- endcall -%}
                {%- call statement('drop_' ~ source.schema ~ '_' ~ source.identifier) -%}
                    drop table if exists {{ source.schema }}.{{ source.identifier }}
                {%- endcall -%}
                {%- call statement('create_' ~ source.schema ~ '_' ~ source.identifier) -%}
                    create table {{ source.schema }}.{{ source.identifier }} using parquet location '{{ location }}'
                {%- endcall -%}
                {%- if source.schema == 'raw' -%}
                    {#- The raw folders are partitioned (load_id=...): the metastore lists the partitions
                        only once recovered; without this a table registered again read as empty. -#}
                    {%- call statement('recover_' ~ source.schema ~ '_' ~ source.identifier) -%}
                        msck repair table {{ source.schema }}.{{ source.identifier }}
                    {%- endcall -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as lake_sources_registered
{%- endmacro %}
