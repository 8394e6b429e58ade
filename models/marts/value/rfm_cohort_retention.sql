{#- The cohort triangle (docs/retention.md): customers by the month of their first valid purchase, and per
    later month how many of them bought and what they spent, from the purchases valid on as_of_date
    (int_customer_purchase_days_aggregated: the customers, amounts and merges of customer_rfm). -#}
with

purchase_days as (

    select * from {{ ref('rfm', 'int_customer_purchase_days_aggregated') }}

),

customer_months as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as activity_month,
        sum(net_total_base) as revenue

    from purchase_days
    group by customer_id, cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)

),

customer_cohorts as (

    select
        customer_id,
        min(activity_month) as cohort_month

    from customer_months
    group by customer_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers

    from customer_cohorts
    group by cohort_month

),

activity as (

    select
        customer_cohorts.cohort_month,
        customer_months.activity_month,
        count(*) as active_customers,
        sum(customer_months.revenue) as revenue

    from customer_months
    inner join customer_cohorts
        on customer_months.customer_id = customer_cohorts.customer_id
    group by customer_cohorts.cohort_month, customer_months.activity_month

),

months as (

    -- the months in which someone bought
    select distinct activity_month
    from customer_months

),

grid as (

    -- every cohort and every later month, the months without its customers included
    select
        cohort_sizes.cohort_month,
        months.activity_month,
        cohort_sizes.cohort_customers

    from cohort_sizes
    inner join months
        on cohort_sizes.cohort_month <= months.activity_month

),

final as (

    select
        grid.cohort_month,
        grid.activity_month,
        -- the engine-specific expansion of datediff can be long
        cast({{ dbt.datediff('grid.cohort_month', 'grid.activity_month', 'month') }} as integer) as months_since_first_purchase,  -- noqa: LT05
        cast(grid.cohort_customers as integer) as cohort_customers,
        cast(coalesce(activity.active_customers, 0) as integer) as active_customers,
        cast(
            {{ rfm_exact_ratio('coalesce(activity.active_customers, 0)', 'grid.cohort_customers', 4) }}
            as decimal(9, 4)
        ) as retention_rate,
        cast(coalesce(activity.revenue, 0) as decimal(38, 2)) as revenue

    from grid
    left join activity
        on
            grid.cohort_month = activity.cohort_month
            and grid.activity_month = activity.activity_month

)

select
    cohort_month,
    activity_month,
    months_since_first_purchase,
    cohort_customers,
    active_customers,
    retention_rate,
    revenue
from final
