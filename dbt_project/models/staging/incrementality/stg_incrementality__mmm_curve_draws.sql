with

source as (

    select * from {{ source('incrementality', 'mmm_curve_draws') }}

),

renamed as (

    select * from source

)

select * from renamed
