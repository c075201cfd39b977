{#
    The ROI measures of one row of an ROI mart, in one place for the channel
    and the campaign marts. `measured` names the relation with spend_rc,
    conversions, attributed_revenue_rc and attributed_margin_rc; `intervals`
    the int_roi_bootstrap_intervals row joined to it. Without spend (spend_rc
    <= 0) every ratio and interval is null, never a division by zero; cac is
    also null without conversions.
#}
{% macro roi_measures(measured, intervals) -%}
    {%- set float_type = type_double() -%}
    {%- set has_spend = measured ~ '.spend_rc > 0' -%}
    case
        when {{ has_spend }}
            then cast({{ measured }}.attributed_revenue_rc as {{ float_type }})
            / cast({{ measured }}.spend_rc as {{ float_type }})
    end as roas,
    case
        when {{ has_spend }}
            then cast({{ measured }}.attributed_margin_rc - {{ measured }}.spend_rc as {{ float_type }})
            / cast({{ measured }}.spend_rc as {{ float_type }})
    end as roi,
    case when {{ has_spend }} then cast({{ intervals }}.roi_ci_low as {{ float_type }}) end as roi_ci_low,
    case when {{ has_spend }} then cast({{ intervals }}.roi_ci_high as {{ float_type }}) end as roi_ci_high,
    case when {{ has_spend }} then cast({{ intervals }}.roas_ci_low as {{ float_type }}) end as roas_ci_low,
    case when {{ has_spend }} then cast({{ intervals }}.roas_ci_high as {{ float_type }}) end as roas_ci_high,
    case
        when {{ has_spend }} and {{ measured }}.conversions > 0
            then cast({{ measured }}.spend_rc as {{ float_type }})
            / cast({{ measured }}.conversions as {{ float_type }})
    end as cac
{%- endmacro %}

{#
    An amount (revenue, margin, pipeline) times a touch's credit share, as
    exact decimal(38, 12) per row, so sums over many rows do not depend on
    the order they are added in, and the same digits on every engine.
#}
{% macro credited_amount(amount, credit) -%}
    {{ roi_decimal_from_double('cast(' ~ amount ~ ' as ' ~ type_double() ~ ') * ' ~ credit, 38, 12) }}
{%- endmacro %}
