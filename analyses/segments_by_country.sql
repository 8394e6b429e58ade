-- Segment mix per country: customers, revenue and each segment's share of the country's customers.

with

customers as (

    select * from {{ ref('rfm', 'customer_rfm') }}

),

per_country_segment as (

    select
        coalesce(country, 'unknown') as country,
        segment_code,
        segment_name,
        count(*) as customers,
        sum(monetary) as revenue

    from customers
    group by coalesce(country, 'unknown'), segment_code, segment_name

),

final as (

    select
        country,
        segment_code,
        segment_name,
        customers,
        revenue,
        round(customers * 1.0 / sum(customers) over (partition by country), 4) as share_of_country

    from per_country_segment

)

select
    country,
    segment_code,
    segment_name,
    customers,
    revenue,
    share_of_country
from final
order by country asc, customers desc, segment_code asc
