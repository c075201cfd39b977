{{ config(materialized=roi_view_materialization()) }}
{#
    Credits of the two data-driven models, in the same shape as the
    rule-based ones (conversion x touch x model, each conversion's credits
    summing to 1), so every model flows into the same marts. The touch rows
    and shapley's credits come from int_touch_credit_shares_data_driven;
    here markov's get their credit:

    - markov: a conversion's credit goes to its distinct channels as fitted
      for it (int_attribution_markov_credits: iterative proportional
      fitting, so that each channel's credit summed over all converting
      journeys is its normalised removal effect x the conversions, and its
      revenue the value-weighted one x the revenue), each channel's part
      split equally over that channel's touches (so campaign credit follows
      within the channel).
    - shapley: 1 / (the conversion's number of distinct channels) to each of
      its channels, split equally over that channel's touches (see
      int_touch_credit_shares_data_driven).
#}

with

touch_credit_shares as (

    select * from {{ ref('int_touch_credit_shares_data_driven') }}

),

markov_conversion_credits as (

    select * from {{ ref('int_attribution_markov_credits') }}

),

markov_credits as (

    select
        touch_credit_shares.attribution_model,
        touch_credit_shares.conversion_id,
        touch_credit_shares.touchpoint_id,
        touch_credit_shares.touch_number,
        touch_credit_shares.touch_count,
        touch_credit_shares.occurred_at,
        touch_credit_shares.channel,
        touch_credit_shares.platform,
        touch_credit_shares.campaign_id,
        cast(
            markov_conversion_credits.credit / touch_credit_shares.channel_touch_count
            as {{ type_double() }}
        ) as credit
    from touch_credit_shares
    inner join markov_conversion_credits
        on
            touch_credit_shares.conversion_id = markov_conversion_credits.conversion_id
            and touch_credit_shares.channel = markov_conversion_credits.channel
    where touch_credit_shares.attribution_model = 'markov'

),

shapley_credits as (

    select
        attribution_model,
        conversion_id,
        touchpoint_id,
        touch_number,
        touch_count,
        occurred_at,
        channel,
        platform,
        campaign_id,
        credit
    from touch_credit_shares
    where attribution_model = 'shapley'

),

touch_credits_data_driven as (

    select * from markov_credits
    union all
    select * from shapley_credits

)

select * from touch_credits_data_driven
