{{ config(materialized=roi_view_materialization()) }}
{#
    Credits of the five rule-based models, one row per conversion x touch x
    model, each conversion's credits summing to 1 (data contract):

    - first_touch / last_touch: 1 to touch_number 1 / touch_count, 0 to the
      others;
    - linear: 1 / touch_count each;
    - time_decay: weight 2^(-age_days / time_decay_half_life_days),
      normalised over the conversion's touches (ages 0, 7, 14 days with a
      7-day half-life weigh 1, 1/2, 1/4 and get 4/7, 2/7, 1/7; the weights are
      taken relative to the youngest touch and kept to 10 decimals, so both
      engines get the same, macro rule_based_touch_credit_ctes);
    - position_based: a lone touch 1; two touches 1/2 each; three or more:
      position_weight_first to the first, position_weight_last to the last
      and position_weight_middle split evenly over the touches between.

    Positions come from int_journey_touches_windowed (occurred_at, then
    touchpoint_id), so ties are decided there, once for every model. The
    rules are the macro rule_based_touch_credit_ctes, shared with the
    opportunities' credits (int_opportunity_touch_credits).
#}

with

journey_touches as (

    select * from {{ ref('int_journey_touches_windowed') }}

),

{{ rule_based_touch_credit_ctes('journey_touches', 'conversion_id') }}

select * from touch_credits_rule_based
