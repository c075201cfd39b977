{#
    True when `value` contains a match of the regular expression `pattern`
    (anchor the pattern with ^ and $ to match the whole value), as the GA4
    channel rules are written. Adapter-dispatched: DuckDB's and the default
    regexp_matches, Postgres' ~, Spark's rlike.
#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__regex_matches(value, pattern) -%}
    ({{ value }} ~ {{ pattern }})
{%- endmacro %}

{% macro spark__regex_matches(value, pattern) -%}
    ({{ value }} rlike {{ pattern }})
{%- endmacro %}
