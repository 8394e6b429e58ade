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

),

parsed as (

    select
        order_id,
        customer_id,
        ordered_at_text,
        {{ rfm_parse_timestamp('ordered_at_text') }} as ordered_at,
        order_total_text,
        {{ rfm_is_decimal_text('order_total_text') }} as is_order_total_numeric,
        {{ rfm_parse_money('order_total_text') }} as order_total,
        status,
        currency,
        refund_of_order_id,
        refunded_amount_text,
        {{ rfm_parse_money('refunded_amount_text') }} as refunded_amount,
        load_id

    from cleaned

)

select * from parsed
