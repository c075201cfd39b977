{{ config(materialized=roi_view_materialization()) }}
{#
    Incremental ROI per channel as the marketing-mix model measures it, per
    month and fiscal year the current fit covers completely:

        incremental_margin_rc = incremental revenue x the period's observed
                                gross-margin ratio of conversions
        roas = incremental revenue / spend
        roi  = (incremental margin - spend) / spend
        mroi = marginal ROAS of the next 1 % of spend x margin ratio - 1

    with the credible interval of revenue carried to roi (roi is increasing
    in revenue). Spend is the warehouse's (fct_marketing_spend_daily); shares
    are of the period's total over the modelled channels.
#}

with

channel_period_effects as (

    select * from {{ ref('stg_incrementality__mmm_channel_period_effects') }}

),

spend_monthly as (

    select * from {{ ref('int_marketing_spend_monthly') }}

),

-- fct_conversions' rows and amounts (the conversions with a rate, its casts), without its journey columns: the
-- journeys are not needed here, and a day of new spend then rebuilds this mart in a spend-only run's first stage
conversions as (

    select
        conversion_period,
        cast(revenue_rc as decimal(38, 12)) as revenue_rc,
        cast(gross_margin_rc as decimal(38, 12)) as gross_margin_rc
    from {{ ref('int_conversions_converted_to_rc') }}
    where has_fx_rate

),

periods as (

    select * from {{ ref('int_periods') }}

),

months_of_periods as (

    select
        'month' as period_type,
        fiscal_period as period,
        fiscal_period as month_period
    from periods

    union all

    select
        'fiscal_year' as period_type,
        fiscal_year_label as period,
        fiscal_period as month_period
    from periods

),

spend_by_channel_period as (

    select
        months_of_periods.period_type,
        months_of_periods.period,
        spend_monthly.channel,
        sum(spend_monthly.spend_rc) as spend_rc
    from spend_monthly
    inner join months_of_periods
        on spend_monthly.period = months_of_periods.month_period
    group by
        months_of_periods.period_type,
        months_of_periods.period,
        spend_monthly.channel

),

margin_ratio_by_period as (

    select
        months_of_periods.period_type,
        months_of_periods.period,
        sum(conversions.gross_margin_rc) / nullif(sum(conversions.revenue_rc), 0) as margin_ratio
    from conversions
    inner join months_of_periods
        on conversions.conversion_period = months_of_periods.month_period
    group by
        months_of_periods.period_type,
        months_of_periods.period

),

effects_measured as (

    select
        channel_period_effects.fit_id,
        channel_period_effects.period_type,
        channel_period_effects.period,
        channel_period_effects.channel,
        coalesce(spend_by_channel_period.spend_rc, 0) as spend_rc,
        channel_period_effects.incremental_revenue_rc,
        channel_period_effects.incremental_revenue_ci_low_rc,
        channel_period_effects.incremental_revenue_ci_high_rc,
        channel_period_effects.marginal_roas,
        coalesce(margin_ratio_by_period.margin_ratio, 0) as margin_ratio
    from channel_period_effects
    left join spend_by_channel_period
        on
            channel_period_effects.period_type = spend_by_channel_period.period_type
            and channel_period_effects.period = spend_by_channel_period.period
            and channel_period_effects.channel = spend_by_channel_period.channel
    left join margin_ratio_by_period
        on
            channel_period_effects.period_type = margin_ratio_by_period.period_type
            and channel_period_effects.period = margin_ratio_by_period.period
    -- the trailing 12 months (a row of the model's table) is not a reporting period
    where channel_period_effects.period_type in ('month', 'fiscal_year')

),

channel_roi as (

    select
        fit_id,
        period_type,
        period,
        channel,
        cast(spend_rc as {{ type_double() }}) as spend_rc,
        cast(incremental_revenue_rc as {{ type_double() }}) as incremental_revenue_rc,
        cast(incremental_revenue_ci_low_rc as {{ type_double() }}) as incremental_revenue_ci_low_rc,
        cast(incremental_revenue_ci_high_rc as {{ type_double() }}) as incremental_revenue_ci_high_rc,
        cast(margin_ratio as {{ type_double() }}) as margin_ratio,
        cast(incremental_revenue_rc * margin_ratio as {{ type_double() }}) as incremental_margin_rc,
        cast(incremental_revenue_rc / nullif(spend_rc, 0) as {{ type_double() }}) as roas,
        cast(
            (incremental_revenue_rc * margin_ratio - spend_rc) / nullif(spend_rc, 0) as {{ type_double() }}
        ) as roi,
        cast(
            (incremental_revenue_ci_low_rc * margin_ratio - spend_rc) / nullif(spend_rc, 0) as {{ type_double() }}
        ) as roi_ci_low,
        cast(
            (incremental_revenue_ci_high_rc * margin_ratio - spend_rc) / nullif(spend_rc, 0) as {{ type_double() }}
        ) as roi_ci_high,
        cast(marginal_roas * margin_ratio - 1 as {{ type_double() }}) as mroi,
        cast(
            spend_rc / nullif(sum(spend_rc) over (partition by period_type, period), 0) as {{ type_double() }}
        ) as spend_share,
        cast(
            incremental_revenue_rc / nullif(sum(incremental_revenue_rc) over (partition by period_type, period), 0)
            as {{ type_double() }}
        ) as effect_share
    from effects_measured

)

select * from channel_roi
