with

source as (

    select * from {{ source('incrementality', 'mmm_channel_period_effects') }}

),

renamed as (

    select * from source

)

select * from renamed
