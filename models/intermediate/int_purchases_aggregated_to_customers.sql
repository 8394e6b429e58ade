with

purchases as (

    select * from {{ ref('int_purchases_netted') }}

),

scoring_window as (

    select * from {{ ref('int_as_of_dates_resolved') }}

),

aggregated as (

    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        -- order ids are unique among valid purchases (tested), so count(*) counts distinct orders
        count(*) as frequency,
        sum(net_total_base) as monetary

    from purchases
    group by customer_id

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
