with

segments as (

    select * from {{ rfm_seed('rfm_segments') }}

),

customers as (

    -- today's scoring (the other rows are the history's periods)
    select * from {{ ref('rfm', 'int_customers_scored') }}
    where period_start_date is null

),

predicted as (

    select * from {{ ref('rfm', 'int_customers_clv_predicted') }}

),

totals as (

    select
        count(*) as total_customers,
        -- whole cents, for the exact ratios below
        cast(sum(monetary) * 100 as bigint) as total_revenue_cents

    from customers

),

per_segment as (

    select
        customers.segment_code,
        count(*) as customers,
        sum(customers.monetary) as revenue,
        cast(sum(customers.monetary) * 100 as bigint) as revenue_cents,
        sum(customers.frequency) as orders,
        sum(customers.recency_days) as sum_recency_days,
        sum(customers.r_score) as sum_r_score,
        sum(customers.f_score) as sum_f_score,
        sum(customers.m_score) as sum_m_score,
        sum({{ rfm_tenure_months('customers.first_order_date', 'customers.as_of_date') }}) as sum_tenure_months,
        -- doubles summed as exact decimals: the same total in whatever order the engine adds
        avg(cast(predicted.probability_alive as decimal(18, 12))) as avg_probability_alive,
        sum(cast(predicted.predicted_clv as decimal(38, 10))) as predicted_clv

    from customers
    left join predicted
        on customers.customer_id = predicted.customer_id
    group by customers.segment_code

),

final as (

    select
        segments.segment_code,
        segments.segment_name,
        segments.segment_name_fr,
        cast(segments.display_order as integer) as display_order,
        cast(coalesce(per_segment.customers, 0) as integer) as customers,
        cast(
            {{ rfm_exact_ratio('coalesce(per_segment.customers, 0)', 'totals.total_customers', 4) }} as decimal(9, 4)
        ) as customer_share,
        cast(coalesce(per_segment.revenue, 0) as decimal(38, 2)) as revenue,
        cast(
            {{ rfm_exact_ratio('coalesce(per_segment.revenue_cents, 0)', 'totals.total_revenue_cents', 4) }}
            as decimal(9, 4)
        ) as revenue_share,
        cast(coalesce(per_segment.orders, 0) as integer) as orders,
        -- amounts are in cents: the denominators carry the factor 100 back
        cast(
            {{ rfm_exact_ratio('per_segment.revenue_cents', '100 * per_segment.orders', 2) }} as decimal(38, 2)
        ) as avg_order_value,
        cast(
            {{ rfm_exact_ratio('per_segment.sum_recency_days', 'per_segment.customers', 2) }} as decimal(18, 2)
        ) as avg_recency_days,
        cast({{ rfm_exact_ratio('per_segment.orders', 'per_segment.customers', 2) }} as decimal(18, 2))
            as avg_frequency,
        cast(
            {{ rfm_exact_ratio('per_segment.revenue_cents', '100 * per_segment.customers', 2) }} as decimal(38, 2)
        ) as avg_monetary,
        {%- for score in ['r', 'f', 'm'] %}
            cast(
                {{ rfm_exact_ratio('per_segment.sum_' ~ score ~ '_score', 'per_segment.customers', 2) }}
                as decimal(18, 2)
            ) as avg_{{ score }}_score,
        {%- endfor %}
        cast(
            {{ rfm_exact_ratio('per_segment.sum_tenure_months', 'per_segment.customers', 2) }} as decimal(18, 2)
        ) as avg_tenure_months,
        -- revenue per customer-month of tenure: the segment's revenue over its customers' summed tenure
        cast(
            {{ rfm_exact_ratio('per_segment.revenue_cents', '100 * per_segment.sum_tenure_months', 2) }}
            as decimal(38, 2)
        ) as revenue_per_tenure_month,
        cast(per_segment.avg_probability_alive as decimal(9, 4)) as avg_probability_alive,
        cast(coalesce(per_segment.predicted_clv, 0) as decimal(38, 2)) as predicted_clv,
        cast(per_segment.predicted_clv / per_segment.customers as decimal(38, 2)) as avg_predicted_clv,
        segments.description,
        segments.recommended_action,
        segments.is_churned,
        segments.colour

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
    avg_tenure_months,
    revenue_per_tenure_month,
    avg_probability_alive,
    predicted_clv,
    avg_predicted_clv,
    description,
    recommended_action,
    is_churned,
    colour
from final
