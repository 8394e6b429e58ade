with

source as (

    select * from {{ source('raw', 'customers') }}

),

cleaned as (

    select
        {{ rfm_clean_text('customer_id') }} as customer_id,
        {{ rfm_normalize_email('email') }} as email,
        {{ rfm_clean_text('first_name') }} as first_name,
        {{ rfm_clean_text('created_at') }} as created_at_text,
        upper({{ rfm_clean_text('country') }}) as country,
        {{ rfm_clean_text('accepts_marketing') }} as accepts_marketing_text,
        -- optional: raw tables loaded before the column existed have none
        lower({{ rfm_clean_text(rfm_optional_column(source('raw', 'customers'), 'concern')) }}) as concern

    from source

),

parsed as (

    select
        customer_id,
        email,
        first_name,
        created_at_text,
        {{ rfm_parse_timestamp('created_at_text') }} as created_at,
        country,
        accepts_marketing_text,
        {{ rfm_parse_boolean('accepts_marketing_text') }} as accepts_marketing,
        concern

    from cleaned

)

select * from parsed
