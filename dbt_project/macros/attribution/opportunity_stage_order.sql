{#
    The CRM's stages in order (var opportunity_stage_order, from
    config/roi.yml pipeline.stage_order) as rows: stage, stage_rank (1 = the
    first stage). Rendered from the config, never from data; quotes in a
    stage name are doubled.
#}
{% macro opportunity_stage_order() -%}
    {%- set stages = var('opportunity_stage_order') -%}
    {%- if stages | length == 0 -%}
        select
            cast(null as {{ dbt.type_string() }}) as stage,
            cast(null as integer) as stage_rank
        where 1 = 0
    {%- else -%}
        {%- for stage in stages %}
        select
            cast('{{ stage | replace("'", "''") }}' as {{ dbt.type_string() }}) as stage,
            cast({{ loop.index }} as integer) as stage_rank
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
