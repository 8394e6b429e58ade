{{ config(materialized='table') }}
{#- R, F and M values per scoring window and customer: today's as_of_date (period_start_date null) from the
    incremental per-customer facts, and each history period from the per-period facts. The merge by email is
    applied here, on the small per-customer tables, so a new merge never invalidates stored facts. -#}
with

facts as (

    select * from {{ ref('rfm', 'int_customer_order_facts') }}
    where frequency > 0

),

period_facts as (

    select * from {{ ref('rfm', 'int_customer_period_facts') }}
    where frequency > 0

),

periods as (

    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

window_facts as (

    select
        cast(null as date) as period_start_date,
        scoring_window.as_of_date,
        facts.customer_id,
        facts.first_order_date,
        facts.last_order_date,
        facts.frequency,
        facts.monetary

    from facts
    cross join scoring_window

    union all

    -- the periods of this build's range only: the table may keep periods of other vars
    select
        periods.period_start_date,
        periods.as_of_date,
        period_facts.customer_id,
        period_facts.first_order_date,
        period_facts.last_order_date,
        period_facts.frequency,
        period_facts.monetary

    from period_facts
    inner join periods
        on
            period_facts.period_start_date = periods.period_start_date
            and period_facts.as_of_date = periods.as_of_date

),

aggregated as (

    select
        window_facts.period_start_date,
        window_facts.as_of_date,
        coalesce(customer_ids.merged_into_customer_id, window_facts.customer_id) as customer_id,
        min(window_facts.first_order_date) as first_order_date,
        max(window_facts.last_order_date) as last_order_date,
        -- an order belongs to one exported customer id, so the sum counts distinct orders
        sum(window_facts.frequency) as frequency,
        sum(window_facts.monetary) as monetary

    from window_facts
    left join customer_ids
        on window_facts.customer_id = customer_ids.customer_id
    group by
        window_facts.period_start_date,
        window_facts.as_of_date,
        coalesce(customer_ids.merged_into_customer_id, window_facts.customer_id)

),

final as (

    select
        period_start_date,
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        -- the engine-specific expansion of datediff can be long
        cast({{ dbt.datediff('last_order_date', 'as_of_date', 'day') }} as integer) as recency_days,  -- noqa: LT05
        cast(frequency as integer) as frequency,
        cast(monetary as decimal(38, 2)) as monetary

    from aggregated

)

select * from final
