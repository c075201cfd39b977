with

source as (

    select * from {{ source('incrementality', 'mmm_lift_test_calibration') }}

),

renamed as (

    select * from source

)

select * from renamed
