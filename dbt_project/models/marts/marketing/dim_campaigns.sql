with

campaigns as (

    select * from {{ ref('stg_marketing_ops__campaigns') }}

),

spend_unioned as (

    select * from {{ ref('int_spend_unioned') }}

),

-- the campaign name the platform reported most recently
campaign_names_in_spend as (

    select
        platform,
        campaign_id,
        campaign_name,
        row_number() over (
            partition by platform, campaign_id
            order by spend_date desc, account_id desc
        ) as name_recency_rank
    from spend_unioned

),

campaigns_missing_from_campaign_file as (

    select
        campaign_names_in_spend.platform,
        campaign_names_in_spend.campaign_id,
        campaign_names_in_spend.campaign_name
    from campaign_names_in_spend
    left join campaigns
        on
            campaign_names_in_spend.platform = campaigns.platform
            and campaign_names_in_spend.campaign_id = campaigns.campaign_id
    where
        campaign_names_in_spend.name_recency_rank = 1
        and campaigns.campaign_id is null

),

campaigns_unioned as (

    select
        platform,
        campaign_id,
        campaign_name,
        channel,
        budget_line_id,
        utm_campaign,
        start_date,
        end_date,
        owner_team,
        true as is_in_campaign_file
    from campaigns

    union all

    select
        platform,
        campaign_id,
        campaign_name,
        'unmapped' as channel,
        cast(null as {{ dbt.type_string() }}) as budget_line_id,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as date) as start_date,
        cast(null as date) as end_date,
        cast(null as {{ dbt.type_string() }}) as owner_team,
        false as is_in_campaign_file
    from campaigns_missing_from_campaign_file

)

select * from campaigns_unioned
