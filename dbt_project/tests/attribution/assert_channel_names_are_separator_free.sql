-- Every channel a touch can get (the channel_rules seed's and the campaigns')
-- is a name the journey paths can carry: no ' > ' (the path separator), no
-- ' + ' (the channel-set separator), not `unattributed` (reserved for
-- conversions without a touch) and not empty.
with

channel_rules as (

    select * from {{ ref('channel_rules') }}

),

campaigns as (

    select * from {{ ref('dim_campaigns') }}

),

channel_names as (

    select channel from channel_rules
    union
    select channel from campaigns

),

unusable_channel_names as (

    select channel
    from channel_names
    where
        channel is null
        or channel = ''
        or channel like '% > %'
        or channel like '% + %'
        or channel = 'unattributed'

)

select * from unusable_channel_names
