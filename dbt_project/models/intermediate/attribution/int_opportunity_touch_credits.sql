{#
    Every attribution model's credit of each opportunity's touches, one row
    per model x opportunity x touch of its journey, each opportunity's
    credits summing to 1, in the conversions' shape (int_touch_credits_*):

    - first_touch, last_touch, linear, time_decay, position_based: the
      conversions' rules, the same code (macro rule_based_touch_credit_ctes);
    - shapley: 1 / (the journey's number of distinct channels) to each of
      its channels, split equally over that channel's touches (the exact
      Shapley value of a unanimity game, as for a conversion);
    - markov: the journey's distinct channels share the opportunity in
      proportion to their Markov credit shares (normalised first-order
      removal effects, int_attribution_channel_weights: the chain of all
      journeys), split equally over each channel's touches; a journey whose
      channels all have share 0 splits equally over its channels. This is
      the split the conversions' fit starts from: the fit to the chain's
      conversion totals (int_attribution_markov_credits) has no counterpart
      for opportunities, which are not the chain's absorbing state.
#}

with

journey_touches as (

    select * from {{ ref('int_opportunity_journey_touches_windowed') }}

),

channel_weights as (

    select * from {{ ref('int_attribution_channel_weights') }}

),

{{ rule_based_touch_credit_ctes('journey_touches', 'opportunity_id') }},

markov_channel_shares as (

    select
        channel,
        cast(coalesce(credit_share, 0) as {{ type_double() }}) as credit_share
    from channel_weights
    where attribution_model = 'markov'

),

channel_touch_counts as (

    select
        journey_touches.*,
        count(*) over (
            partition by journey_touches.opportunity_id, journey_touches.channel
        ) as channel_touch_count
    from journey_touches

),

opportunity_channels as (

    select distinct
        channel_touch_counts.opportunity_id,
        channel_touch_counts.channel,
        coalesce(markov_channel_shares.credit_share, 0) as credit_share
    from channel_touch_counts
    left join markov_channel_shares
        on channel_touch_counts.channel = markov_channel_shares.channel

),

opportunity_channel_totals as (

    select
        opportunity_id,
        count(*) as channel_count,
        {{ exact_sum('credit_share') }} as credit_share_total
    from opportunity_channels
    group by opportunity_id

),

opportunity_channel_credits as (

    select
        opportunity_channels.opportunity_id,
        opportunity_channels.channel,
        opportunity_channel_totals.channel_count,
        case
            -- the share as exact_sum rounded it into the total: a lone channel's credit is exactly 1 (the
            -- raw share over its rounded self was 1.0000000000000002), and no credit exceeds 1
            when opportunity_channel_totals.credit_share_total > 0
                then
                    cast({{ roi_decimal18_from_double('opportunity_channels.credit_share') }} as {{ type_double() }})
                    / opportunity_channel_totals.credit_share_total
            else {{ roi_divide(1, 'opportunity_channel_totals.channel_count') }}
        end as markov_channel_credit
    from opportunity_channels
    inner join opportunity_channel_totals
        on opportunity_channels.opportunity_id = opportunity_channel_totals.opportunity_id

),

touch_credits_data_driven as (

    {% for attribution_model in ['markov', 'shapley'] -%}
        select
            '{{ attribution_model }}' as attribution_model,
            channel_touch_counts.opportunity_id,
            channel_touch_counts.touchpoint_id,
            channel_touch_counts.touch_number,
            channel_touch_counts.touch_count,
            channel_touch_counts.occurred_at,
            channel_touch_counts.channel,
            channel_touch_counts.platform,
            channel_touch_counts.campaign_id,
            cast(
                {% if attribution_model == 'markov' -%}
                    opportunity_channel_credits.markov_channel_credit
                {%- else -%}
                    {{ roi_divide(1, 'opportunity_channel_credits.channel_count') }}
                {%- endif %}
                / channel_touch_counts.channel_touch_count as {{ type_double() }}
            ) as credit
        from channel_touch_counts
        inner join opportunity_channel_credits
            on
                channel_touch_counts.opportunity_id = opportunity_channel_credits.opportunity_id
                and channel_touch_counts.channel = opportunity_channel_credits.channel
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

opportunity_touch_credits as (

    select * from touch_credits_rule_based
    union all
    select * from touch_credits_data_driven

)

select * from opportunity_touch_credits
