{#- One row per customer and closed period of the history's range, scored as customer_rfm would have been
    on the period's scoring date (docs/history.md). A thin layer over the intermediate scoring: the
    per-period facts are kept incrementally in int_customer_period_facts. -#}
with

scored as (

    select * from {{ ref('rfm', 'int_customers_scored') }}
    where period_start_date is not null

),

periods as (

    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

final as (

    select
        scored.customer_id,
        periods.period_grain,
        scored.period_start_date,
        scored.as_of_date,
        scored.first_order_date,
        scored.last_order_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        scored.rfm_cell,
        scored.segment_code

    from scored
    inner join periods
        on scored.period_start_date = periods.period_start_date

)

select
    customer_id,
    period_grain,
    period_start_date,
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
    segment_code
from final
