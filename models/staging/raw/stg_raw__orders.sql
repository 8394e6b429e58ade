{%- set orders = rfm_input('orders') %}
{%- set columns = rfm_raw_columns_sql(orders, 'orders') %}

with

source as (

    select * from {{ orders }}

),

cleaned as (

    select
        {{ rfm_clean_text(columns['order_id']) }} as order_id,
        {{ rfm_clean_text(columns['customer_id']) }} as customer_id,
        {{ rfm_clean_text(columns['ordered_at']) }} as ordered_at_text,
        {{ rfm_clean_text(columns['order_total']) }} as order_total_text,
        lower({{ rfm_clean_text(columns['status']) }}) as status,
        upper({{ rfm_clean_text(columns['currency']) }}) as currency,
        {{ rfm_clean_text(columns['refund_of_order_id']) }} as refund_of_order_id,
        {{ rfm_clean_text(columns['refunded_amount']) }} as refunded_amount_text,
        -- which load wrote the row (scripts/load_raw.py); null in raw tables written otherwise
        cast({{ columns['load_id'] }} as bigint) as load_id

    from source

)

select * from cleaned
