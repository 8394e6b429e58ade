with

segment_history as (

    select * from {{ ref('rfm', 'int_segment_history_sequenced') }}

),

segments as (

    select * from {{ rfm_seed('rfm_segments') }}

),

periods as (

    -- every period of the range, empty ones included
    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

totals as (

    select
        segment_history.period_start_date,
        count(*) as total_customers

    from segment_history
    group by segment_history.period_start_date

),

per_segment as (

    select
        segment_history.period_start_date,
        segment_history.segment_code,
        count(*) as customers,
        sum(segment_history.monetary) as revenue

    from segment_history
    group by segment_history.period_start_date, segment_history.segment_code

),

grid as (

    -- every segment in every period, empty ones included
    select
        periods.period_start_date,
        periods.previous_period_start_date,
        periods.as_of_date,
        segments.segment_code,
        segments.segment_name,
        cast(segments.display_order as integer) as display_order,
        cast(coalesce(per_segment.customers, 0) as integer) as customers,
        cast(coalesce(per_segment.revenue, 0) as decimal(38, 2)) as revenue,
        totals.total_customers

    from periods
    cross join segments
    left join totals
        on periods.period_start_date = totals.period_start_date
    left join per_segment
        on
            periods.period_start_date = per_segment.period_start_date
            and segments.segment_code = per_segment.segment_code

),

compared as (

    select
        grid.*,
        previous_grid.customers as previous_customers,
        previous_grid.revenue as previous_revenue,
        grid.customers - previous_grid.customers as customers_change,
        grid.revenue - previous_grid.revenue as revenue_change

    from grid
    left join grid as previous_grid
        on
            grid.previous_period_start_date = previous_grid.period_start_date
            and grid.segment_code = previous_grid.segment_code

),

final as (

    select
        period_start_date,
        as_of_date,
        segment_code,
        segment_name,
        display_order,
        customers,
        cast({{ rfm_exact_ratio('customers', 'total_customers', 4) }} as decimal(9, 4)) as customer_share,
        revenue,
        previous_customers,
        customers_change,
        -- growth = change / previous (4 decimals, rounded half away from zero); null without a previous count
        cast(
            case when customers_change < 0 then -1 else 1 end
            * {{ rfm_exact_ratio('abs(customers_change)', 'previous_customers', 4) }}
            as decimal(18, 4)
        ) as customers_growth,
        revenue_change

    from compared

)

select
    period_start_date,
    as_of_date,
    segment_code,
    segment_name,
    display_order,
    customers,
    customer_share,
    revenue,
    previous_customers,
    customers_change,
    customers_growth,
    revenue_change
from final
