-- Cross-tab of RFM segment x lifecycle segment: customers in each pair, and each pair's share of its
-- lifecycle segment. Never-buyers have no RFM segment and show as 'not_scored'.

with

customer_segments as (

    select * from {{ ref('rfm', 'customer_segments') }}

),

pairs as (

    select
        lifecycle_segment_code,
        coalesce(rfm_segment_code, 'not_scored') as rfm_segment_code,
        count(*) as customers

    from customer_segments
    group by lifecycle_segment_code, coalesce(rfm_segment_code, 'not_scored')

),

final as (

    select
        lifecycle_segment_code,
        rfm_segment_code,
        customers,
        round(customers * 1.0 / sum(customers) over (partition by lifecycle_segment_code), 4)
            as share_of_lifecycle_segment

    from pairs

)

select
    lifecycle_segment_code,
    rfm_segment_code,
    customers,
    share_of_lifecycle_segment
from final
order by lifecycle_segment_code asc, customers desc, rfm_segment_code asc
