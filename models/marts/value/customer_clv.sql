{#- Per scored customer: value so far and predicted value (docs/retention.md). -#}
with

valued_customers as (

    select * from {{ ref('rfm', 'int_customers_valued') }}

)

select
    customer_id,
    as_of_date,
    segment_code,
    first_order_date,
    last_order_date,
    frequency,
    net_revenue,
    tenure_days,
    tenure_months,
    revenue_per_tenure_month,
    repeat_purchase_days,
    repeat_span_days,
    avg_repeat_day_value
from valued_customers
