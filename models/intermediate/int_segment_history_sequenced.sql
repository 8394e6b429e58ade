{#- rfm_segment_history up to as_of_date, each row beside the customer's row of the previous stored period:
    where the customer came from, whether this is an entry into the segment, and since when the customer
    has been in it (the start of the unbroken run of periods in this segment). -#}

with

history as (

    select * from {{ ref('rfm', 'rfm_segment_history') }}

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

{{ rfm_history_periods_ctes('scoring_window') }},

stored_periods as (

    -- stored periods outside this build's range (left by a build with another as_of_date or start) are ignored
    select distinct
        history.period_start_date,
        history.as_of_date

    from history
    inner join periods_in_range
        on history.period_start_date = periods_in_range.period_start_date

),

latest_period_before_as_of_date as (

    select max(stored_periods.as_of_date) as as_of_date

    from stored_periods
    cross join scoring_window
    where stored_periods.as_of_date < scoring_window.as_of_date

),

periods_sequenced as (

    select
        stored_periods.period_start_date,
        stored_periods.as_of_date,
        lag(stored_periods.period_start_date) over (order by stored_periods.period_start_date)
            as previous_period_start_date,
        lag(stored_periods.as_of_date) over (order by stored_periods.period_start_date) as previous_as_of_date,
        coalesce(stored_periods.as_of_date = latest_period_before_as_of_date.as_of_date, false)
            as is_latest_before_as_of_date

    from stored_periods
    cross join latest_period_before_as_of_date

),

customer_periods as (

    select
        history.customer_id,
        history.period_start_date,
        history.as_of_date,
        history.segment_code,
        periods_sequenced.previous_period_start_date,
        periods_sequenced.previous_as_of_date,
        periods_sequenced.is_latest_before_as_of_date,
        -- the customer's own previous scored period, which is not the previous period after a gap
        lag(history.period_start_date) over (
            partition by history.customer_id order by history.period_start_date
        ) as customer_previous_period_start_date

    from history
    inner join periods_sequenced
        on history.period_start_date = periods_sequenced.period_start_date

),

compared as (

    select
        customer_periods.*,
        previous_history.segment_code as previous_segment_code,
        case
            when customer_periods.previous_period_start_date is null then 'history_start'
            when customer_periods.customer_previous_period_start_date is null then 'first_purchase'
            when previous_history.customer_id is null then 'returned'
            when previous_history.segment_code <> customer_periods.segment_code then 'moved'
        end as entry_kind

    from customer_periods
    left join history as previous_history
        on
            customer_periods.customer_id = previous_history.customer_id
            and customer_periods.previous_period_start_date = previous_history.period_start_date

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
