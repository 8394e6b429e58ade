with

scored_customers as (

    select * from {{ ref('int_customers_scored') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

segments as (

    select * from {{ ref('rfm_segments') }}

),

customers as (

    select * from {{ ref('int_customers_deduplicated') }}

),

final as (

    select
        scored_customers.customer_id,
        scored_customers.as_of_date,
        scored_customers.first_order_date,
        scored_customers.last_order_date,
        scored_customers.recency_days,
        scored_customers.frequency,
        scored_customers.monetary,
        cast(scored_customers.r_score as integer) as r_score,
        cast(scored_customers.f_score as integer) as f_score,
        cast(scored_customers.m_score as integer) as m_score,
        {{ dbt.concat([
            dbt.cast('scored_customers.r_score', api.Column.translate_type('string')),
            dbt.cast('scored_customers.f_score', api.Column.translate_type('string')),
            dbt.cast('scored_customers.m_score', api.Column.translate_type('string')),
        ]) }} as rfm_cell,
        segment_map.segment_code,
        segments.segment_name,
        customers.email,
        customers.first_name,
        customers.country,
        customers.accepts_marketing,
        customers.customer_id is not null as is_known_customer

    from scored_customers
    left join segment_map
        on
            scored_customers.r_score = segment_map.r_score
            and scored_customers.f_score = segment_map.f_score
            and scored_customers.m_score = segment_map.m_score
    left join segments
        on segment_map.segment_code = segments.segment_code
    left join customers
        on scored_customers.customer_id = customers.customer_id

)

select
    customer_id,
    as_of_date,
    first_order_date,
    last_order_date,
    recency_days,
    frequency,
    monetary,
    r_score,
    f_score,
    m_score,
    rfm_cell,
    segment_code,
    segment_name,
    email,
    first_name,
    country,
    accepts_marketing,
    is_known_customer
from final
