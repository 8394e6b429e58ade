{#- Per scored customer: value so far and predicted value (docs/retention.md). -#}
with

valued_customers as (

    select * from {{ ref('rfm', 'int_customers_valued') }}

),

predicted as (

    select * from {{ ref('rfm', 'int_customers_clv_predicted') }}

),

final as (

    -- predictions rounded: 8 decimals for probabilities and counts, cents for money
    select
        valued_customers.*,
        cast(predicted.probability_alive as decimal(18, 8)) as probability_alive,
        cast(predicted.expected_purchases as decimal(18, 8)) as expected_purchases,
        cast(predicted.expected_order_value as decimal(38, 2)) as expected_order_value,
        cast(predicted.predicted_clv as decimal(38, 2)) as predicted_clv

    from valued_customers
    inner join predicted
        on valued_customers.customer_id = predicted.customer_id

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
    avg_repeat_day_value,
    probability_alive,
    expected_purchases,
    expected_order_value,
    predicted_clv
from final
