{{ config(materialized='table') }}
{%- set content_columns = [
    'customer_id', 'email', 'first_name', 'created_at_text', 'country', 'accepts_marketing_text',
] %}

with

customers as (

    select * from {{ ref('stg_raw__customers') }}

),

ids_counted as (

    -- as in int_orders_validated: one window over the key; contents are compared for repeated ids only
    select
        customers.*,
        count(*) over (partition by customers.customer_id) as customer_id_rows,
        row_number() over (partition by customers.customer_id order by customers.customer_id) as copy_number

    from customers

),

repeated_ids as (

    select * from ids_counted
    where customer_id_rows > 1

),

conflicting_customer_ids as (

    {{ rfm_conflicting_keys('repeated_ids', 'customer_id', content_columns) }}

),

final as (

    select
        ids_counted.customer_id,
        ids_counted.email,
        ids_counted.first_name,
        ids_counted.created_at_text,
        ids_counted.created_at,
        ids_counted.country,
        ids_counted.accepts_marketing_text,
        ids_counted.accepts_marketing,
        case
            when ids_counted.customer_id is null then 'missing_customer_id'
            when conflicting_customer_ids.customer_id is not null then 'conflicting_duplicate'
            when ids_counted.copy_number > 1 then 'duplicate_row'
            when ids_counted.created_at_text is not null and ids_counted.created_at is null
                then 'unparseable_created_at'
        end as rejection_reason

    from ids_counted
    left join conflicting_customer_ids
        on ids_counted.customer_id = conflicting_customer_ids.customer_id

)

select * from final
