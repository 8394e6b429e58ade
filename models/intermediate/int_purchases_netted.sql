with

orders as (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where rejection_reason is null

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

{{ rfm_netted_purchases_ctes('orders', 'scoring_window', 'customer_ids') }},

final as (

    select
        order_id,
        customer_id,
        source_customer_id,
        ordered_at,
        ordered_date,
        order_total_base,
        refunded_total_base,
        net_total_base

    from netted
    where net_total_base > 0

)

select * from final
