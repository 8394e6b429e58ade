with

segment_history as (

    select * from {{ ref('rfm', 'int_segment_history_sequenced') }}

),

customers as (

    select * from {{ ref('rfm', 'customer_rfm') }}

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

periods as (

    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

closed_period_entries as (

    -- entries observed at the closed periods before as_of_date (customer_rfm covers as_of_date itself)
    select
        segment_history.customer_id,
        segment_history.segment_code,
        segment_history.as_of_date as entered_on,
        segment_history.previous_segment_code as from_segment_code,
        segment_history.entry_kind,
        false as is_current

    from segment_history
    inner join scoring_window
        on segment_history.as_of_date < scoring_window.as_of_date
    where segment_history.entry_kind is not null

),

customer_histories as (

    select
        customer_id,
        min(as_of_date) as first_scored_on

    from segment_history
    group by customer_id

),

previous_period as (

    -- empty or not: as_of_date is the history's start only when no period was scored before it
    select count(*) as periods
    from periods
    where is_latest_before_as_of_date

),

current_entries as (

    -- the segments customers are in on as_of_date, when different from the previous period's
    select
        customers.customer_id,
        customers.segment_code,
        customers.as_of_date as entered_on,
        customers.previous_segment_code as from_segment_code,
        case
            when previous_period.periods = 0 then 'history_start'
            when customers.previous_segment_code is not null then 'moved'
            when customer_histories.first_scored_on < customers.as_of_date then 'returned'
            else 'first_purchase'
        end as entry_kind,
        true as is_current

    from customers
    cross join previous_period
    left join customer_histories
        on customers.customer_id = customer_histories.customer_id
    where customers.is_segment_changed

),

entries as (

    select * from closed_period_entries
    union all
    select * from current_entries

),

final as (

    select
        customer_id,
        segment_code,
        entered_on,
        from_segment_code,
        entry_kind,
        is_current

    from entries

)

select
    customer_id,
    segment_code,
    entered_on,
    from_segment_code,
    entry_kind,
    is_current
from final
