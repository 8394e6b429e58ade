{{ config(materialized='table') }}
{#- Built from the per-customer facts (kept incrementally) rather than from every order: the merge by email
    is applied here, on the small per-customer table, so a new merge never invalidates stored facts. -#}
with

facts as (

    select * from {{ ref('rfm', 'int_customer_order_facts') }}
    where frequency > 0

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

aggregated as (

    select
        coalesce(customer_ids.merged_into_customer_id, facts.customer_id) as customer_id,
        min(facts.first_order_date) as first_order_date,
        max(facts.last_order_date) as last_order_date,
        -- an order belongs to one exported customer id, so the sum counts distinct orders
        sum(facts.frequency) as frequency,
        sum(facts.monetary) as monetary

    from facts
    left join customer_ids
        on facts.customer_id = customer_ids.customer_id
    group by coalesce(customer_ids.merged_into_customer_id, facts.customer_id)

),

final as (

    select
        aggregated.customer_id,
        scoring_window.as_of_date,
        aggregated.first_order_date,
        aggregated.last_order_date,
        -- the engine-specific expansion of datediff can be long
        cast(
            {{ dbt.datediff('aggregated.last_order_date', 'scoring_window.as_of_date', 'day') }} as integer  -- noqa: LT05
        ) as recency_days,
        cast(aggregated.frequency as integer) as frequency,
        cast(aggregated.monetary as decimal(38, 2)) as monetary

    from aggregated
    cross join scoring_window

)

select * from final
