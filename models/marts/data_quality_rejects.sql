{%- set order_columns = [
    'order_id', 'customer_id', 'ordered_at_text', 'order_total_text', 'status', 'currency', 'refund_of_order_id',
] -%}
{%- set customer_columns = [
    'customer_id', 'email', 'first_name', 'created_at_text', 'country', 'accepts_marketing_text', 'concern',
] %}

with

orders as (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where rejection_reason is not null

),

customers as (

    select * from {{ ref('rfm', 'int_customers_validated') }}
    where rejection_reason is not null

),

rejects as (

    select
        'orders' as source,
        order_id as raw_key,
        rejection_reason,
        order_total,
        {{ rfm_key_value_text(order_columns) }} as raw_values

    from orders

    union all

    select
        'customers' as source,
        customer_id as raw_key,
        rejection_reason,
        cast(null as decimal(18, 2)) as order_total,
        {{ rfm_key_value_text(customer_columns) }} as raw_values

    from customers

)

select
    source,
    raw_key,
    rejection_reason,
    order_total,
    raw_values
from rejects
