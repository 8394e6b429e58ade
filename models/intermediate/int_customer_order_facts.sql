{#- Per exported customer id (before email merges), the facts of its valid purchases, built incrementally:
    a daily run recomputes only the customers whose order rows were validated again since the last run, or
    are recent enough for a moving scoring date to matter (docs/incremental.md). -#}
{#- dbt-spark offers delete+insert on Delta tables only; the project writes Parquet there: a table. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    on_schema_change='fail',
    pre_hook="{{ rfm_customer_order_facts_reset() }}",
) }}
{%- set lookback_days = rfm_incremental_lookback_days() -%}
{%- do rfm_require_stored_columns(['facts_computed_at']) %}

with

orders as (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where customer_id is not null

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

accepted_refunds as (

    select * from orders
    where rejection_reason is null and is_refund

),

{% if is_incremental() %}

    previous as (

        select * from {{ this }}

    ),

    previous_run as (

        select
            max(as_of_date) as previous_as_of_date,
            max(facts_computed_at) as previous_computed_at

        from previous

    ),

    revalidated_orders as (

        -- validated since the facts were last computed (every row, after a reset of the validation)
        select orders.*
        from orders
        cross join previous_run
        where
            previous_run.previous_computed_at is null
            or orders.validated_at > previous_run.previous_computed_at

    ),

    recent_orders as (

        -- the default as_of_date moves with the data: rows dated near or after the previous one (a refund
        -- that did not count yet) are looked at again
        select orders.*
        from orders
        cross join previous_run
        where
            orders.ordered_date is null
            or orders.ordered_date
            >= {{ dbt.dateadd('day', -lookback_days, 'previous_run.previous_as_of_date') }}

    ),

    touched_orders as (

        select * from revalidated_orders
        union all
        select * from recent_orders

    ),

    affected_customers as (

        -- the customers of those rows, and of the orders their refunds reduce
        select customer_id from touched_orders

        union

        select refunded_orders.customer_id
        from touched_orders
        inner join orders as refunded_orders
            on touched_orders.refund_of_order_id = refunded_orders.order_id

    ),

{% else %}

    affected_customers as (

        select distinct customer_id from orders

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

final as (

    select
        affected_customers.customer_id,
        scoring_window.as_of_date,
        scoring_window.is_as_of_date_explicit,
        purchase_facts.first_order_date,
        purchase_facts.last_order_date,
        cast(coalesce(purchase_facts.frequency, 0) as integer) as frequency,
        cast(coalesce(purchase_facts.monetary, 0.00) as decimal(38, 2)) as monetary,
        {{ rfm_run_started_at() }} as facts_computed_at

    from affected_customers
    cross join scoring_window
    left join purchase_facts
        on affected_customers.customer_id = purchase_facts.customer_id

)

select * from final
