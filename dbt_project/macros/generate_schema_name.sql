{#
    Use a model's custom schema (set per folder in dbt_project.yml) as it is,
    instead of dbt's default `<target schema>_<custom schema>`: the warehouse
    has the fixed schemas staging, intermediate, marts and audit that the
    Python side and the BI tools know by name.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
