{%- set lead_days = rfm_replenishment_lead_days() -%}
{%- set grace_days = rfm_replenishment_grace_days() %}

with

customers as (

    select * from {{ ref('rfm', 'int_customers_deduplicated') }}

),

buyers as (

    -- today's scoring (the other rows are the history's periods)
    select * from {{ ref('rfm', 'int_purchases_aggregated_to_customers') }}
    where period_start_date is null

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

all_customer_ids as (

    -- every customer of the export, and the late-arriving ones that only the orders name
    select customer_id from customers
    union
    select customer_id from buyers

),

profiles as (

    select
        all_customer_ids.customer_id,
        scoring_window.as_of_date,
        customers.customer_id is not null as is_known_customer,
        cast(coalesce(buyers.frequency, 0) as integer) as order_count,
        buyers.first_order_date,
        buyers.last_order_date,
        buyers.recency_days as days_since_last_order,
        -- average days between valid purchases: the span from first to last over the gaps between them
        case
            when buyers.frequency >= 2
                then {{ rfm_exact_ratio(
                    dbt.datediff('buyers.first_order_date', 'buyers.last_order_date', 'day'),
                    'buyers.frequency - 1',
                    1
                ) }}
        end as avg_purchase_cycle_days

    from all_customer_ids
    cross join scoring_window
    left join customers
        on all_customer_ids.customer_id = customers.customer_id
    left join buyers
        on all_customer_ids.customer_id = buyers.customer_id

),

final as (

    select
        customer_id,
        as_of_date,
        is_known_customer,
        order_count,
        first_order_date,
        last_order_date,
        days_since_last_order,
        cast(avg_purchase_cycle_days as decimal(18, 1)) as avg_purchase_cycle_days,
        cast(avg_purchase_cycle_days - days_since_last_order as decimal(18, 1)) as days_until_replenishment,
        coalesce(
            days_since_last_order >= avg_purchase_cycle_days - {{ lead_days }}
            and days_since_last_order <= avg_purchase_cycle_days + {{ grace_days }},
            false
        ) as is_replenishment_due

    from profiles

)

select * from final
