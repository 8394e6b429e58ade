{#- Per exported customer id (before email merges), the facts of its valid purchases, built incrementally:
    a daily run recomputes only the customers whose orders changed (docs/incremental.md). -#}
{#- dbt-spark offers delete+insert on Delta tables only; the project writes Parquet there: a table. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    on_schema_change='fail',
    pre_hook="{{ rfm_customer_order_facts_reset() }}",
) }}
{%- set lookback_days = rfm_incremental_lookback_days() %}

with

orders as (

    select * from {{ ref('int_orders_validated') }}
    where customer_id is not null

),

scoring_window as (

    select * from {{ ref('int_as_of_dates_resolved') }}

),

accepted_refunds as (

    select * from orders
    where rejection_reason is null and is_refund

),

refunds_received as (

    -- a refund row may belong to another customer than the order it reduces: count it on the order's side
    select
        refunded_orders.customer_id,
        count(*) as refunds_received_rows,
        sum(accepted_refunds.order_total_base) as refunds_received_amount

    from accepted_refunds
    inner join orders as refunded_orders
        on accepted_refunds.refund_of_order_id = refunded_orders.order_id
    where refunded_orders.rejection_reason is null
    group by refunded_orders.customer_id

),

own_rows as (

    select
        customer_id,
        count(*) as source_rows,
        count(rejection_reason) as rejected_rows,
        count(case when is_purchase_status then 1 end) as purchase_status_rows,
        count(case when is_refund then 1 end) as refund_rows,
        sum(order_total_base) as amount_sum,
        sum({{ dbt.datediff("cast('2000-01-01' as date)", 'ordered_date', 'day') }}) as day_sum

    from orders
    group by customer_id

),

signatures as (

    -- what a customer's facts depend on, summed up: when any of it moves, the customer is recomputed
    select
        own_rows.customer_id,
        own_rows.source_rows,
        own_rows.rejected_rows,
        own_rows.purchase_status_rows,
        own_rows.refund_rows,
        coalesce(own_rows.amount_sum, 0.00) as amount_sum,
        coalesce(own_rows.day_sum, 0) as day_sum,
        coalesce(refunds_received.refunds_received_rows, 0) as refunds_received_rows,
        coalesce(refunds_received.refunds_received_amount, 0.00) as refunds_received_amount

    from own_rows
    left join refunds_received
        on own_rows.customer_id = refunds_received.customer_id

),

{% if is_incremental() %}

    previous as (

        select * from {{ this }}

    ),

    previous_window as (

        select max(as_of_date) as previous_as_of_date from previous

    ),

    changed_customers as (

        -- new, vanished or changed customers
        select coalesce(signatures.customer_id, previous.customer_id) as customer_id
        from signatures
        full outer join previous
            on signatures.customer_id = previous.customer_id
        where
            signatures.customer_id is null
            or previous.customer_id is null
            {%- for column in [
                'source_rows', 'rejected_rows', 'purchase_status_rows', 'refund_rows', 'amount_sum', 'day_sum',
                'refunds_received_rows', 'refunds_received_amount',
            ] %}
                or signatures.{{ column }} <> previous.{{ column }}
            {%- endfor %}

    ),

    recent_customers as (

        -- the default as_of_date moves with the data: rows dated near or after the previous one (a refund
        -- that did not count yet) are looked at again, on their own customer and on the refunded order's
        select coalesce(refunded_orders.customer_id, orders.customer_id) as customer_id
        from orders
        cross join previous_window
        left join orders as refunded_orders
            on orders.refund_of_order_id = refunded_orders.order_id
        where
            previous_window.previous_as_of_date is null
            or orders.ordered_date is null
            or orders.ordered_date
            >= {{ dbt.dateadd('day', -lookback_days, 'previous_window.previous_as_of_date') }}

        union

        select orders.customer_id
        from orders
        cross join previous_window
        where
            orders.ordered_date
            >= {{ dbt.dateadd('day', -lookback_days, 'previous_window.previous_as_of_date') }}

    ),

    affected_customers as (

        select customer_id from changed_customers
        union
        select customer_id from recent_customers

    ),

{% endif %}

batch_orders as (

    select orders.*
    from orders
    {% if is_incremental() -%}
        inner join affected_customers
            on orders.customer_id = affected_customers.customer_id
    {%- endif %}

),

refunds as (

    -- partial refunds count from their own date, as in int_purchases_netted
    select
        accepted_refunds.refund_of_order_id as order_id,
        sum(accepted_refunds.order_total_base) as refunded_total_base

    from accepted_refunds
    cross join scoring_window
    where accepted_refunds.ordered_date <= scoring_window.as_of_date
    group by accepted_refunds.refund_of_order_id

),

valid_purchases as (

    select
        batch_orders.customer_id,
        batch_orders.ordered_date,
        batch_orders.order_total_base + coalesce(refunds.refunded_total_base, 0.00) as net_total_base

    from batch_orders
    cross join scoring_window
    left join refunds
        on batch_orders.order_id = refunds.order_id
    where
        batch_orders.rejection_reason is null
        and not batch_orders.is_refund
        and batch_orders.is_purchase_status
        and batch_orders.ordered_date <= scoring_window.as_of_date
        and batch_orders.order_total_base + coalesce(refunds.refunded_total_base, 0.00) > 0

),

purchase_facts as (

    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        count(*) as frequency,
        sum(net_total_base) as monetary

    from valid_purchases
    group by customer_id

),

batch_customers as (

    select signatures.*
    from signatures
    {% if is_incremental() -%}
        inner join affected_customers
            on signatures.customer_id = affected_customers.customer_id

        union all

        -- customers whose every row left the export: a row of zeros replaces their old facts
        select
            affected_customers.customer_id,
            0 as source_rows,
            0 as rejected_rows,
            0 as purchase_status_rows,
            0 as refund_rows,
            0.00 as amount_sum,
            0 as day_sum,
            0 as refunds_received_rows,
            0.00 as refunds_received_amount

        from affected_customers
        left join signatures
            on affected_customers.customer_id = signatures.customer_id
        where signatures.customer_id is null
    {%- endif %}

),

final as (

    select
        batch_customers.customer_id,
        scoring_window.as_of_date,
        scoring_window.is_as_of_date_explicit,
        purchase_facts.first_order_date,
        purchase_facts.last_order_date,
        cast(coalesce(purchase_facts.frequency, 0) as integer) as frequency,
        cast(coalesce(purchase_facts.monetary, 0.00) as decimal(38, 2)) as monetary,
        cast(batch_customers.source_rows as bigint) as source_rows,
        cast(batch_customers.rejected_rows as bigint) as rejected_rows,
        cast(batch_customers.purchase_status_rows as bigint) as purchase_status_rows,
        cast(batch_customers.refund_rows as bigint) as refund_rows,
        cast(batch_customers.amount_sum as decimal(38, 2)) as amount_sum,
        cast(batch_customers.day_sum as bigint) as day_sum,
        cast(batch_customers.refunds_received_rows as bigint) as refunds_received_rows,
        cast(batch_customers.refunds_received_amount as decimal(38, 2)) as refunds_received_amount

    from batch_customers
    cross join scoring_window
    left join purchase_facts
        on batch_customers.customer_id = purchase_facts.customer_id

)

select * from final
