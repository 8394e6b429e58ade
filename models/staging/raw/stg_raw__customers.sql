{%- set customers = rfm_input('customers') %}

with

source as (

    select * from {{ customers }}

),

cleaned as (

    select
        {{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'customer_id')) }} as customer_id,
        lower({{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'email')) }}) as email,
        {{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'first_name')) }} as first_name,
        {{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'created_at')) }} as created_at_text,
        upper({{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'country')) }}) as country,
        {{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'accepts_marketing')) }} as accepts_marketing_text,
        lower({{ rfm_clean_text(rfm_raw_column(customers, 'customers', 'concern')) }}) as concern

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
