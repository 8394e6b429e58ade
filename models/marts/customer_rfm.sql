with

scored_customers as (

    -- today's scoring (the other rows are the history's periods)
    select * from {{ ref('rfm', 'int_customers_scored') }}
    where period_start_date is null

),

segments as (

    select * from {{ rfm_seed('rfm_segments') }}

),

customers as (

    select * from {{ ref('rfm', 'int_customers_deduplicated') }}

),

segment_history as (

    select * from {{ ref('rfm', 'int_segment_history_sequenced') }}

),

previous_period as (

    -- the last closed period scored before as_of_date (docs/history.md)
    select * from segment_history
    where is_latest_before_as_of_date

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
        cast(scored_customers.score_levels as integer) as score_levels,
        scored_customers.rfm_cell,
        scored_customers.segment_code,
        segments.segment_name,
        previous_period.segment_code as previous_segment_code,
        case
            when previous_period.segment_code = scored_customers.segment_code then previous_period.segment_since_date
            else scored_customers.as_of_date
        end as segment_since_date,
        coalesce(previous_period.segment_code <> scored_customers.segment_code, true) as is_segment_changed,
        customers.email,
        customers.first_name,
        customers.country,
        customers.accepts_marketing,
        customers.customer_id is not null as is_known_customer

    from scored_customers
    left join segments
        on scored_customers.segment_code = segments.segment_code
    left join customers
        on scored_customers.customer_id = customers.customer_id
    left join previous_period
        on scored_customers.customer_id = previous_period.customer_id

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
    score_levels,
    rfm_cell,
    segment_code,
    segment_name,
    previous_segment_code,
    segment_since_date,
    is_segment_changed,
    email,
    first_name,
    country,
    accepts_marketing,
    is_known_customer
from final
