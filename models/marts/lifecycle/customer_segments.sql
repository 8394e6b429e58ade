with

lifecycle as (

    select * from {{ ref('rfm', 'customer_lifecycle') }}

),

rfm as (

    select * from {{ ref('rfm', 'customer_rfm') }}

),

engagement as (

    select * from {{ ref('rfm', 'customer_engagement') }}

),

customers as (

    select * from {{ ref('rfm', 'int_customers_deduplicated') }}

),

concerns as (

    select * from {{ ref('rfm', 'int_customer_concerns') }}

),

final as (

    select
        lifecycle.customer_id,
        lifecycle.as_of_date,
        lifecycle.is_known_customer,
        customers.email,
        customers.first_name,
        customers.country,
        customers.accepts_marketing,
        concerns.concern,
        lifecycle.lifecycle_segment_code,
        lifecycle.lifecycle_segment_name,
        rfm.segment_code as rfm_segment_code,
        rfm.segment_name as rfm_segment_name,
        rfm.rfm_cell,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        lifecycle.order_count,
        lifecycle.days_since_last_order,
        rfm.monetary,
        lifecycle.avg_purchase_cycle_days,
        lifecycle.is_replenishment_due,
        engagement.engagement_score,
        engagement.engagement_tier

    from lifecycle
    left join rfm
        on lifecycle.customer_id = rfm.customer_id
    left join engagement
        on lifecycle.customer_id = engagement.customer_id
    left join customers
        on lifecycle.customer_id = customers.customer_id
    left join concerns
        on lifecycle.customer_id = concerns.customer_id

)

select
    customer_id,
    as_of_date,
    is_known_customer,
    email,
    first_name,
    country,
    accepts_marketing,
    concern,
    lifecycle_segment_code,
    lifecycle_segment_name,
    rfm_segment_code,
    rfm_segment_name,
    rfm_cell,
    r_score,
    f_score,
    m_score,
    order_count,
    days_since_last_order,
    monetary,
    avg_purchase_cycle_days,
    is_replenishment_due,
    engagement_score,
    engagement_tier
from final
