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
                {#- The raw folders hold a folder per load (load_id=...), whose files carry their _load_id:
                    read as one unpartitioned table, files found at query time. Registered as partitioned,
                    each table needed `msck repair` to list its partitions in the metastore (a scan of its
                    folders, 9 s of the hook for 13 tables), and without it read as empty. -#}
                {%- call statement('create_' ~ source.schema ~ '_' ~ source.identifier) -%}
                    create table {{ source.schema }}.{{ source.identifier }} using parquet
                    {%- if source.schema == 'raw' %} options (recursiveFileLookup 'true'){% endif %}
                    location '{{ location }}'
                {%- endcall -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as lake_sources_registered
{%- endmacro %}

{#
    The seeds' copy in the lake, so the DuckDB warehouse reads them like every other table Spark built
    (`reference.<seed>` as a view over `<lake>/reference/<seed>/`, orchestration/lib/spark_engine.py):
    the attribution checks read `reference.attribution_models`, and the snapshot publishes the reference
    tables. dbt-spark drops and re-creates a seed on every build, which on an external table would append
    to the files the drop left, so the seed stays a managed table of Spark's catalog and this copies it
    (a CTAS over the lake folder: `allowNonEmptyLocationInCTAS` in the spark target overwrites the previous
    copy). Run as the project's on-run-end hook, for the seeds this invocation loaded; nothing on DuckDB.
#}
{% macro roi_publish_lake_seeds(results) -%}
    {{ return(adapter.dispatch('roi_publish_lake_seeds')(results)) }}
{%- endmacro %}

{% macro default__roi_publish_lake_seeds(results) -%}
    select 1 as nothing_to_publish
{%- endmacro %}

{% macro spark__roi_publish_lake_seeds(results) -%}
    {%- if execute -%}
        {%- set lake = env_var('ROI_LAKE') -%}
        {%- for result in results if result.node.resource_type == 'seed' and result.status == 'success' -%}
            {%- set seed = result.node -%}
            {%- set copy = 'roi_lake_' ~ seed.schema ~ '.' ~ seed.alias -%}
            {%- call statement('lake_schema_' ~ seed.alias) -%}
                create schema if not exists roi_lake_{{ seed.schema }}
            {%- endcall -%}
            {%- call statement('lake_drop_' ~ seed.alias) -%}
                drop table if exists {{ copy }}
            {%- endcall -%}
            {%- call statement('lake_copy_' ~ seed.alias) -%}
                create table {{ copy }} using parquet location '{{ lake }}/{{ seed.schema }}/{{ seed.alias }}'
                as select * from {{ seed.schema }}.{{ seed.alias }}
            {%- endcall -%}
        {%- endfor -%}
    {%- endif -%}
    select 1 as lake_seeds_published
{%- endmacro %}
