{#
    The channel rules of config/roi.yml (`channel_rules.overrides`, reaching
    dbt as the var `channel_rule_overrides`) as a relation shaped like the
    channel_rules seed: rule_number 1001, 1002, ... in the order written,
    evaluated before every seed rule. The values were validated by
    orchestration/lib/settings.py (patterns compile, channels are lower-case
    names); each is quoted as a SQL string literal here, quotes doubled. With
    no overrides, an empty relation of the same shape.
#}
{% macro channel_rule_overrides() -%}
    {%- set overrides = var('channel_rule_overrides', []) -%}
    {%- if overrides | length == 0 %}
    select
        cast(null as integer) as rule_number,
        cast(null as {{ dbt.type_string() }}) as ga4_channel_group,
        cast(null as {{ dbt.type_string() }}) as utm_source_pattern,
        cast(null as {{ dbt.type_string() }}) as utm_medium_pattern,
        cast(null as {{ dbt.type_string() }}) as utm_campaign_pattern,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as ga4_rule
    where 1 = 0
    {%- else %}
    {%- for override in overrides %}
    select
        {{ 1000 + loop.index }} as rule_number,
        cast(null as {{ dbt.type_string() }}) as ga4_channel_group,
        {{ sql_string_or_null(override.get('utm_source')) }} as utm_source_pattern,
        {{ sql_string_or_null(override.get('utm_medium')) }} as utm_medium_pattern,
        {{ sql_string_or_null(override.get('utm_campaign')) }} as utm_campaign_pattern,
        {{ sql_string_or_null(override.get('channel')) }} as channel,
        'config/roi.yml channel_rules.overrides' as ga4_rule
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{% macro sql_string_or_null(value) -%}
    {%- if value is none or value == '' -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        '{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
