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

-- inlined (rfm_inlined_cte): a daily run reads it several times, and DuckDB would keep all its rows
orders as {{ rfm_inlined_cte() }} (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where customer_id is not null

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

netted as (

    select * from {{ ref('rfm', 'int_purchases_netted') }}

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

    {% if rfm_scoring_window() is not none -%}
        leaving_orders as (

            -- with a scoring window, purchases leave it as the scoring date moves on: the rows that were in the
            -- previous run's window (less the lookback) and are out of this one are looked at again
            select orders.*
            from orders
            cross join previous_run
            cross join scoring_window
            where
                {{ rfm_in_scoring_window(
                    dbt.dateadd('day', lookback_days, 'orders.ordered_date'), 'previous_run.previous_as_of_date'
                ) }}
                and not {{ rfm_in_scoring_window('orders.ordered_date', 'scoring_window.as_of_date') }}

        ),
    {%- endif %}

    touched_orders as (

        select * from revalidated_orders
        union all
        select * from recent_orders
        {%- if rfm_scoring_window() is not none %}
            union all
            select * from leaving_orders
        {%- endif %}

    ),

    affected_customers as (

        -- the customers of those rows, and of the orders their refunds reduce
        select customer_id from touched_orders

        union

        -- a filter on the few refunded ids, not a join: DuckDB then filters the orders as it scans them
        -- instead of probing a hash table with every order id (at 10M orders: the model 2.0 -> 1.7 s a day)
        select refunded_orders.customer_id
        from orders as refunded_orders
        where refunded_orders.order_id in (
            select touched_orders.refund_of_order_id
            from touched_orders
            where touched_orders.refund_of_order_id is not null
        )

    ),

{% else %}

    affected_customers as (

        select distinct customer_id from orders

    ),

{% endif %}

valid_purchases as (

    select
        netted.customer_id,
        netted.ordered_date,
        netted.net_total_base

    from netted
    cross join scoring_window
    {% if is_incremental() -%}
        inner join affected_customers
            on netted.customer_id = affected_customers.customer_id
    {%- endif %}
    where {{ rfm_is_valid_purchase_on('netted', 'scoring_window.as_of_date') }}

),

purchase_facts as (

    select
        valid_purchases.customer_id,
        {{ rfm_purchase_facts('valid_purchases') }}

    from valid_purchases
    group by valid_purchases.customer_id

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
