with

orders as (

    select * from {{ ref('int_orders_validated') }}
    where rejection_reason is null

),

scoring_window as (

    select * from {{ ref('int_as_of_dates_resolved') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_mapped') }}

),

refunds as (

    -- partial refunds count from their own date, so scoring a past day ignores later refunds
    select
        orders.refund_of_order_id as order_id,
        sum(orders.order_total_base) as refunded_total_base

    from orders
    cross join scoring_window
    where orders.is_refund and orders.ordered_date <= scoring_window.as_of_date
    group by orders.refund_of_order_id

),

netted as (

    select
        orders.order_id,
        coalesce(customer_ids.merged_into_customer_id, orders.customer_id) as customer_id,
        orders.customer_id as source_customer_id,
        orders.ordered_at,
        orders.ordered_date,
        orders.order_total_base,
        -- 0.00, not 0: a PostgreSQL numeric keeps the scale of each value, and amounts have two decimals
        coalesce(refunds.refunded_total_base, 0.00) as refunded_total_base,
        orders.order_total_base + coalesce(refunds.refunded_total_base, 0.00) as net_total_base

    from orders
    cross join scoring_window
    left join refunds
        on orders.order_id = refunds.order_id
    left join customer_ids
        on orders.customer_id = customer_ids.customer_id
    where
        not orders.is_refund
        and orders.is_purchase_status
        and orders.ordered_date <= scoring_window.as_of_date

),

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
