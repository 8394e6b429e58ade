{#- The history's customer-periods (int_customers_scored, one scoring window per period of
    int_history_periods_listed), each beside the customer's row of the previous period: where the customer
    came from, whether this is an entry into the segment, and since when the customer has been in it (the
    start of the unbroken run of periods in this segment). Empty periods count: the previous period of the
    first period after an empty one is the empty one. -#}

with

scored as (

    select * from {{ ref('rfm', 'int_customers_scored') }}
    where period_start_date is not null

),

periods as (

    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

customer_periods as (

    select
        scored.customer_id,
        scored.period_start_date,
        scored.as_of_date,
        scored.segment_code,
        scored.monetary,
        periods.previous_period_start_date,
        periods.previous_as_of_date,
        periods.is_latest_before_as_of_date,
        -- the customer's own previous scored period, which is not the previous period after a gap
        lag(scored.period_start_date) over (
            partition by scored.customer_id order by scored.period_start_date
        ) as customer_previous_period_start_date

    from scored
    inner join periods
        on scored.period_start_date = periods.period_start_date

),

compared as (

    select
        customer_periods.*,
        previous_scored.segment_code as previous_segment_code,
        case
            when customer_periods.previous_period_start_date is null then 'history_start'
            when customer_periods.customer_previous_period_start_date is null then 'first_purchase'
            when previous_scored.customer_id is null then 'returned'
            when previous_scored.segment_code <> customer_periods.segment_code then 'moved'
        end as entry_kind

    from customer_periods
    left join scored as previous_scored
        on
            customer_periods.customer_id = previous_scored.customer_id
            and customer_periods.previous_period_start_date = previous_scored.period_start_date

),

final as (

    select
        customer_id,
        period_start_date,
        as_of_date,
        previous_period_start_date,
        previous_as_of_date,
        is_latest_before_as_of_date,
        segment_code,
        previous_segment_code,
        monetary,
        entry_kind,
        -- the scoring date of the latest entry: when the current run in this segment began
        max(case when entry_kind is not null then as_of_date end) over (
            partition by customer_id
            order by period_start_date
            rows between unbounded preceding and current row
        ) as segment_since_date

    from compared

)

select * from final
