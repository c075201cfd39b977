with

source as (

    select * from {{ source('incrementality', 'mmm_fit_diagnostics') }}

),

renamed as (

    select * from source

)

select * from renamed
