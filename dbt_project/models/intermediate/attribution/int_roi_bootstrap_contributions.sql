{{ config(materialized=roi_view_materialization()) }}
{#
    What the ROI bootstrap (the asset attribution/roi_bootstrap_draws)
    resamples, in numbers only: one row per conversion x bootstrap group
    (int_roi_bootstrap_groups: the paid channels and campaigns, whatever
    the month's spend) with the conversion's summed credit in the group and its
    FULL revenue and margin in the reporting currency (attributed = credit x
    value). Channel groups take every credit of the channel, campaign groups
    the credits of the campaign's paid touches.

    Built from the touch credits before the Markov fit (not from
    fct_attribution_credits), so that it exists in the first dbt invocation
    and the solvers compute the Markov credits and the bootstrap in one go:
    rule-based and shapley rows carry their summed credit; a markov row
    carries, instead, the conversion and channel whose fitted credit it
    takes (markov_conversion_id, markov_channel: one row per channel of the
    group) and how many of that channel's touches fall in the group
    (markov_touch_count of markov_channel_touch_count). The asset multiplies
    in the fitted credit: credit = markov_touch_count x (fitted credit /
    markov_channel_touch_count), what fct_attribution_credits adds up for the
    group. A view: read once by the asset.
#}

with

touch_credits_rule_based as (

    select * from {{ ref('int_touch_credits_rule_based') }}

),

touch_credit_shares as (

    select * from {{ ref('int_touch_credit_shares_data_driven') }}

),

conversions as (

    select * from {{ ref('fct_conversions') }}

),

bootstrap_groups as (

    select * from {{ ref('int_roi_bootstrap_groups') }}

),

conversions_numbered as (

    select
        conversion_id,
        conversion_period,
        row_number() over (order by conversion_id) as conversion_number,
        cast(revenue_rc as {{ type_double() }}) as revenue_rc,
        cast(gross_margin_rc as {{ type_double() }}) as margin_rc
    from conversions

),

-- the credits that are final before the fit, without the touches they give nothing
final_credits as (

    select
        touch_credits_rule_based.attribution_model,
        touch_credits_rule_based.conversion_id,
        touch_credits_rule_based.channel,
        touch_credits_rule_based.platform,
        touch_credits_rule_based.campaign_id,
        touch_credits_rule_based.credit
    from touch_credits_rule_based
    where touch_credits_rule_based.credit > 0

    union all

    select
        touch_credit_shares.attribution_model,
        touch_credit_shares.conversion_id,
        touch_credit_shares.channel,
        touch_credit_shares.platform,
        touch_credit_shares.campaign_id,
        touch_credit_shares.credit
    from touch_credit_shares
    where touch_credit_shares.attribution_model <> 'markov' and touch_credit_shares.credit > 0

),

markov_touches as (

    select
        touch_credit_shares.conversion_id,
        touch_credit_shares.channel,
        touch_credit_shares.platform,
        touch_credit_shares.campaign_id,
        touch_credit_shares.channel_touch_count
    from touch_credit_shares
    where touch_credit_shares.attribution_model = 'markov'

),

credits_by_channel as (

    select
        final_credits.attribution_model,
        final_credits.channel,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number,
        {{ exact_sum("final_credits.credit") }} as credit
    from final_credits
    inner join conversions_numbered
        on final_credits.conversion_id = conversions_numbered.conversion_id
    group by
        final_credits.attribution_model,
        final_credits.channel,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number

),

credits_by_campaign as (

    select
        final_credits.attribution_model,
        final_credits.platform,
        final_credits.campaign_id,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number,
        {{ exact_sum("final_credits.credit") }} as credit
    from final_credits
    inner join conversions_numbered
        on final_credits.conversion_id = conversions_numbered.conversion_id
    where final_credits.campaign_id is not null
    group by
        final_credits.attribution_model,
        final_credits.platform,
        final_credits.campaign_id,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number

),

markov_touches_by_channel as (

    select
        markov_touches.conversion_id,
        markov_touches.channel,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number,
        count(*) as markov_touch_count,
        max(markov_touches.channel_touch_count) as markov_channel_touch_count
    from markov_touches
    inner join conversions_numbered
        on markov_touches.conversion_id = conversions_numbered.conversion_id
    group by
        markov_touches.conversion_id,
        markov_touches.channel,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number

),

markov_touches_by_campaign as (

    select
        markov_touches.conversion_id,
        markov_touches.channel,
        markov_touches.platform,
        markov_touches.campaign_id,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number,
        count(*) as markov_touch_count,
        max(markov_touches.channel_touch_count) as markov_channel_touch_count
    from markov_touches
    inner join conversions_numbered
        on markov_touches.conversion_id = conversions_numbered.conversion_id
    where markov_touches.campaign_id is not null
    group by
        markov_touches.conversion_id,
        markov_touches.channel,
        markov_touches.platform,
        markov_touches.campaign_id,
        conversions_numbered.conversion_period,
        conversions_numbered.conversion_number

),

credits_by_group as (

    select
        bootstrap_groups.group_number,
        bootstrap_groups.period_number,
        credits_by_channel.conversion_number,
        credits_by_channel.credit,
        cast(null as {{ dbt.type_string() }}) as markov_conversion_id,
        cast(null as {{ dbt.type_string() }}) as markov_channel,
        cast(null as bigint) as markov_touch_count,
        cast(null as bigint) as markov_channel_touch_count
    from credits_by_channel
    inner join bootstrap_groups
        on
            bootstrap_groups.roi_grain = 'channel'
            and credits_by_channel.attribution_model = bootstrap_groups.attribution_model
            and credits_by_channel.channel = bootstrap_groups.channel
            and credits_by_channel.conversion_period = bootstrap_groups.period

    union all

    select
        bootstrap_groups.group_number,
        bootstrap_groups.period_number,
        credits_by_campaign.conversion_number,
        credits_by_campaign.credit,
        cast(null as {{ dbt.type_string() }}) as markov_conversion_id,
        cast(null as {{ dbt.type_string() }}) as markov_channel,
        cast(null as bigint) as markov_touch_count,
        cast(null as bigint) as markov_channel_touch_count
    from credits_by_campaign
    inner join bootstrap_groups
        on
            bootstrap_groups.roi_grain = 'campaign'
            and credits_by_campaign.attribution_model = bootstrap_groups.attribution_model
            and credits_by_campaign.platform = bootstrap_groups.platform
            and credits_by_campaign.campaign_id = bootstrap_groups.campaign_id
            and credits_by_campaign.conversion_period = bootstrap_groups.period

    union all

    select
        bootstrap_groups.group_number,
        bootstrap_groups.period_number,
        markov_touches_by_channel.conversion_number,
        cast(null as {{ type_double() }}) as credit,
        markov_touches_by_channel.conversion_id as markov_conversion_id,
        markov_touches_by_channel.channel as markov_channel,
        markov_touches_by_channel.markov_touch_count,
        markov_touches_by_channel.markov_channel_touch_count
    from markov_touches_by_channel
    inner join bootstrap_groups
        on
            bootstrap_groups.roi_grain = 'channel'
            and bootstrap_groups.attribution_model = 'markov'
            and markov_touches_by_channel.channel = bootstrap_groups.channel
            and markov_touches_by_channel.conversion_period = bootstrap_groups.period

    union all

    select
        bootstrap_groups.group_number,
        bootstrap_groups.period_number,
        markov_touches_by_campaign.conversion_number,
        cast(null as {{ type_double() }}) as credit,
        markov_touches_by_campaign.conversion_id as markov_conversion_id,
        markov_touches_by_campaign.channel as markov_channel,
        markov_touches_by_campaign.markov_touch_count,
        markov_touches_by_campaign.markov_channel_touch_count
    from markov_touches_by_campaign
    inner join bootstrap_groups
        on
            bootstrap_groups.roi_grain = 'campaign'
            and bootstrap_groups.attribution_model = 'markov'
            and markov_touches_by_campaign.platform = bootstrap_groups.platform
            and markov_touches_by_campaign.campaign_id = bootstrap_groups.campaign_id
            and markov_touches_by_campaign.conversion_period = bootstrap_groups.period

),

contributions as (

    select
        credits_by_group.group_number,
        credits_by_group.period_number,
        credits_by_group.conversion_number,
        credits_by_group.credit,
        credits_by_group.markov_conversion_id,
        credits_by_group.markov_channel,
        credits_by_group.markov_touch_count,
        credits_by_group.markov_channel_touch_count,
        conversions_numbered.revenue_rc,
        conversions_numbered.margin_rc
    from credits_by_group
    inner join conversions_numbered
        on credits_by_group.conversion_number = conversions_numbered.conversion_number

)

select * from contributions
