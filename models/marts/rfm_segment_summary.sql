with

segments as (

    select * from {{ ref('rfm_segments') }}

),

customers as (

    select * from {{ ref('customer_rfm') }}

),

totals as (

    select
        count(*) as total_customers,
        sum(monetary) as total_revenue

    from customers

),

per_segment as (

    select
        segment_code,
        count(*) as customers,
        sum(monetary) as revenue,
        sum(frequency) as orders,
        avg(recency_days * 1.0) as avg_recency_days,
        avg(frequency * 1.0) as avg_frequency,
        avg(monetary) as avg_monetary,
        avg(r_score * 1.0) as avg_r_score,
        avg(f_score * 1.0) as avg_f_score,
        avg(m_score * 1.0) as avg_m_score

    from customers
    group by segment_code

),

final as (

    select
        segments.segment_code,
        segments.segment_name,
        segments.segment_name_fr,
        cast(segments.display_order as integer) as display_order,
        cast(coalesce(per_segment.customers, 0) as integer) as customers,
        cast(
            round(coalesce(per_segment.customers, 0) * 1.0 / nullif(totals.total_customers, 0), 4)
            as decimal(9, 4)
        ) as customer_share,
        cast(coalesce(per_segment.revenue, 0) as decimal(38, 2)) as revenue,
        cast(round(coalesce(per_segment.revenue, 0) / nullif(totals.total_revenue, 0), 4) as decimal(9, 4))
            as revenue_share,
        cast(coalesce(per_segment.orders, 0) as integer) as orders,
        cast(round(per_segment.revenue / nullif(per_segment.orders, 0), 2) as decimal(38, 2))
            as avg_order_value,
        cast(round(per_segment.avg_recency_days, 2) as decimal(18, 2)) as avg_recency_days,
        cast(round(per_segment.avg_frequency, 2) as decimal(18, 2)) as avg_frequency,
        cast(round(per_segment.avg_monetary, 2) as decimal(38, 2)) as avg_monetary,
        cast(round(per_segment.avg_r_score, 2) as decimal(18, 2)) as avg_r_score,
        cast(round(per_segment.avg_f_score, 2) as decimal(18, 2)) as avg_f_score,
        cast(round(per_segment.avg_m_score, 2) as decimal(18, 2)) as avg_m_score,
        segments.description,
        segments.recommended_action

    from segments
    cross join totals
    left join per_segment
        on segments.segment_code = per_segment.segment_code

)

select
    segment_code,
    segment_name,
    segment_name_fr,
    display_order,
    customers,
    customer_share,
    revenue,
    revenue_share,
    orders,
    avg_order_value,
    avg_recency_days,
    avg_frequency,
    avg_monetary,
    avg_r_score,
    avg_f_score,
    avg_m_score,
    description,
    recommended_action
from final
