{{ config(materialized='table') }}
{#- Per scored customer, the value so far (historical customer lifetime value) and the buy-till-you-die
    summary the CLV models read (docs/retention.md): repeat purchase days, the span from the first to the
    last purchase, the tenure to as_of_date (the calibration period's end), the mean value of a repeat day.
    A table: read by two models, and as a view its text (Spark's expansion of datediff) outgrows the 32,700
    characters of the Hive metastore. -#}
with

scored_customers as (

    -- today's scoring (the other rows are the history's periods)
    select * from {{ ref('rfm', 'int_customers_scored') }}
    where period_start_date is null

),

purchase_days as (

    select * from {{ ref('rfm', 'int_customer_purchase_days_aggregated') }}

),

day_summaries as (

    -- repeat purchase days: the days after the first; their mean value is Gamma-Gamma's monetary value. A day
    -- is one row, so the repeat revenue is the revenue less the first day's: no join of every day to the
    -- customer's first order date (at 10M orders, 8M days)
    select
        customer_id,
        count(*) - 1 as repeat_purchase_days,
        sum(net_total_base) - {{ rfm_value_at_min('net_total_base', 'ordered_date') }} as repeat_revenue

    from purchase_days
    group by customer_id

),

final as (

    select
        scored_customers.customer_id,
        scored_customers.as_of_date,
        scored_customers.segment_code,
        scored_customers.first_order_date,
        scored_customers.last_order_date,
        scored_customers.frequency,
        cast(scored_customers.monetary as decimal(38, 2)) as net_revenue,
        -- the engine-specific expansion of datediff can be long
        cast({{ dbt.datediff('scored_customers.first_order_date', 'scored_customers.as_of_date', 'day') }} as integer) as tenure_days,  -- noqa: LT05
        cast({{ rfm_tenure_months('scored_customers.first_order_date', 'scored_customers.as_of_date') }} as integer)
            as tenure_months,
        cast(
            {{ rfm_exact_ratio(
                '100 * scored_customers.monetary',
                '100 * ' ~ rfm_tenure_months('scored_customers.first_order_date', 'scored_customers.as_of_date'),
                2
            ) }} as decimal(38, 2)
        ) as revenue_per_tenure_month,
        cast(day_summaries.repeat_purchase_days as integer) as repeat_purchase_days,
        cast(
            {{ dbt.datediff('scored_customers.first_order_date', 'scored_customers.last_order_date', 'day') }}
            as integer
        ) as repeat_span_days,
        cast(
            {{ rfm_exact_ratio('100 * day_summaries.repeat_revenue', '100 * day_summaries.repeat_purchase_days', 2) }}
            as decimal(38, 2)
        ) as avg_repeat_day_value

    from scored_customers
    inner join day_summaries
        on scored_customers.customer_id = day_summaries.customer_id

)

select * from final
