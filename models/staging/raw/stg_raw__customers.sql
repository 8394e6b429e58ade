{%- set customers = rfm_input('customers') %}
{%- set columns = rfm_raw_columns_sql(customers, 'customers') %}

with

source as (

    select * from {{ customers }}

),

cleaned as (

    select
        {{ rfm_clean_text(columns['customer_id']) }} as customer_id,
        {{ rfm_normalize_email(columns['email']) }} as email,
        {{ rfm_clean_text(columns['first_name']) }} as first_name,
        {{ rfm_clean_text(columns['created_at']) }} as created_at_text,
        upper({{ rfm_clean_text(columns['country']) }}) as country,
        {{ rfm_clean_text(columns['accepts_marketing']) }} as accepts_marketing_text,
        lower({{ rfm_clean_text(columns['concern']) }}) as concern,
        -- which load wrote the row (scripts/load_raw.py); null in raw tables written otherwise
        cast({{ columns['load_id'] }} as bigint) as load_id

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
        concern,
        load_id

    from cleaned

)

select * from parsed
