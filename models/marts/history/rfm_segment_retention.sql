{#- Per closed period and segment: the members at the period's scoring date and how many of them bought again
    before the next period's scoring date, with the revenue of those purchases (docs/retention.md). Only the
    periods followed by another closed period: the last one's window is still open. -#}
with

segment_history as (

    select * from {{ ref('rfm', 'int_segment_history_sequenced') }}

),

segments as (

    select * from {{ rfm_seed('rfm_segments') }}

),

periods as (

    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

netted as (

    select * from {{ ref('rfm', 'int_purchases_netted') }}

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

windows as (

    -- the retention window of a period: from its scoring date to the next period's
    select
        periods.period_start_date,
        periods.as_of_date,
        next_periods.as_of_date as next_as_of_date

    from periods
    inner join periods as next_periods
        on periods.period_start_date = next_periods.previous_period_start_date

),

window_purchases as (

    -- purchases dated in the window, valid (net of the refunds dated before it) on the next scoring date
    select
        windows.period_start_date,
        coalesce(customer_ids.merged_into_customer_id, netted.customer_id) as customer_id,
        netted.net_total_base

    from windows
    inner join netted
        on
            windows.as_of_date <= netted.ordered_date
            and {{ rfm_is_valid_purchase_on('netted', 'windows.next_as_of_date') }}
    left join customer_ids
        on netted.customer_id = customer_ids.customer_id

),

customer_windows as (

    select
        period_start_date,
        customer_id,
        sum(net_total_base) as retained_revenue

    from window_purchases
    group by period_start_date, customer_id

),

per_segment as (

    select
        segment_history.period_start_date,
        segment_history.segment_code,
        count(*) as customers,
        count(customer_windows.customer_id) as retained_customers,
        sum(customer_windows.retained_revenue) as retained_revenue

    from segment_history
    left join customer_windows
        on
            segment_history.period_start_date = customer_windows.period_start_date
            and segment_history.customer_id = customer_windows.customer_id
    group by segment_history.period_start_date, segment_history.segment_code

),

final as (

    -- every segment in every period with a closed window, empty ones included
    select
        windows.period_start_date,
        windows.as_of_date,
        windows.next_as_of_date,
        segments.segment_code,
        segments.segment_name,
        cast(segments.display_order as integer) as display_order,
        cast(coalesce(per_segment.customers, 0) as integer) as customers,
        cast(coalesce(per_segment.retained_customers, 0) as integer) as retained_customers,
        cast(
            {{ rfm_exact_ratio('per_segment.retained_customers', 'per_segment.customers', 4) }} as decimal(9, 4)
        ) as retention_rate,
        cast(coalesce(per_segment.retained_revenue, 0) as decimal(38, 2)) as retained_revenue

    from windows
    cross join segments
    left join per_segment
        on
            windows.period_start_date = per_segment.period_start_date
            and segments.segment_code = per_segment.segment_code

)

select
    period_start_date,
    as_of_date,
    next_as_of_date,
    segment_code,
    segment_name,
    display_order,
    customers,
    retained_customers,
    retention_rate,
    retained_revenue
from final
