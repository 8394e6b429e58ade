{#- The one place refunds are netted (docs/rules.md section 5). One row per purchase-status order and net
    amount in force: the order's own date starts its first row, and each later date with refunds starts a
    new one. A row counts on the scoring dates after net_since_date up to net_until_date (macro
    rfm_is_valid_purchase_on), so every scoring date, today's or a history period's, reads the same rows. -#}
with

-- inlined (rfm_inlined_cte): read twice, so DuckDB would first copy every valid order row (a view read by
-- every model below it: 1.4 GiB at 10M orders, even for a query that reads one row of it)
orders as {{ rfm_inlined_cte() }} (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where rejection_reason is null

),

purchase_orders as (

    select
        order_id,
        customer_id,
        ordered_date,
        order_total_base,
        refunded_amount_base

    from orders
    where not is_refund and is_purchase_status

),

refunds as (

    select
        refund_of_order_id as order_id,
        ordered_date,
        order_total_base

    from orders
    where is_refund

),

refunded_order_ids as (

    select distinct order_id
    from refunds

),

refunded_orders as (

    -- the purchase orders with refund rows: the only ones whose net amount changes after their own date (a
    -- few: the joins below are against them, not against every order)
    select purchase_orders.*
    from purchase_orders
    inner join refunded_order_ids
        on purchase_orders.order_id = refunded_order_ids.order_id

),

amount_changes as (

    -- the order's amount less its own refunded amount (a column of the order row, so it has no date of its
    -- own) from the order's date, and each refund row from its own date (one dated before its order counts
    -- from the order's date: an order and its refund are both in the past of any later scoring date)
    select
        order_id,
        ordered_date as changed_on_date,
        order_total_base - refunded_amount_base as amount_change_base

    from refunded_orders

    union all

    select
        refunded_orders.order_id,
        case
            when refunds.ordered_date > refunded_orders.ordered_date then refunds.ordered_date
            else refunded_orders.ordered_date
        end as changed_on_date,
        refunds.order_total_base as amount_change_base

    from refunds
    inner join refunded_orders
        on refunds.order_id = refunded_orders.order_id

),

daily_changes as (

    select
        order_id,
        changed_on_date,
        sum(amount_change_base) as amount_change_base

    from amount_changes
    group by order_id, changed_on_date

),

stepped as (

    select
        refunded_orders.order_id,
        refunded_orders.customer_id,
        refunded_orders.ordered_date,
        refunded_orders.order_total_base,
        daily_changes.changed_on_date as net_since_date,
        lead(daily_changes.changed_on_date) over (
            partition by daily_changes.order_id order by daily_changes.changed_on_date
        ) as net_until_date,
        sum(daily_changes.amount_change_base) over (
            partition by daily_changes.order_id
            order by daily_changes.changed_on_date
            rows between unbounded preceding and current row
        ) as net_total_base

    from daily_changes
    inner join refunded_orders
        on daily_changes.order_id = refunded_orders.order_id

),

unrefunded as (

    -- every other order (almost all of them): one row, its amount less its own refunded amount from its
    -- date on, without the grouping and window above
    select
        purchase_orders.order_id,
        purchase_orders.customer_id,
        purchase_orders.ordered_date,
        purchase_orders.order_total_base,
        purchase_orders.ordered_date as net_since_date,
        cast(null as date) as net_until_date,
        purchase_orders.order_total_base - purchase_orders.refunded_amount_base as net_total_base

    from purchase_orders
    left join refunded_order_ids
        on purchase_orders.order_id = refunded_order_ids.order_id
    where refunded_order_ids.order_id is null

),

netted as (

    select * from stepped
    union all
    select * from unrefunded

),

final as (

    select
        order_id,
        customer_id,
        ordered_date,
        order_total_base,
        net_since_date,
        net_until_date,
        -- 0.00 scale: a PostgreSQL numeric keeps the scale of each value, and amounts have two decimals
        cast(net_total_base as decimal(38, 2)) as net_total_base

    from netted

)

select * from final
