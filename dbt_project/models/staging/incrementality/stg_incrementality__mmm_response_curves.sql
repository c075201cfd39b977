with

source as (

    select * from {{ source('incrementality', 'mmm_response_curves') }}

),

renamed as (

    select * from source

)

select * from renamed
