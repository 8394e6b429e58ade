with

segment_history as (

    select * from {{ ref('rfm', 'int_segment_history_sequenced') }}

),

arrivals as (

    -- every customer scored in a period that has a previous one: from the previous segment (null: new)
    select
        period_start_date,
        previous_period_start_date,
        previous_segment_code as from_segment_code,
        segment_code as to_segment_code,
        customer_id

    from segment_history
    where previous_period_start_date is not null

),

periods as (

    -- empty periods included: everybody scored before one of them is gone
    select * from {{ ref('rfm', 'int_history_periods_listed') }}
    where previous_period_start_date is not null

),

departures as (

    -- customers scored in the previous period and no longer in this one (a refund took their last purchase)
    select
        periods.period_start_date,
        periods.previous_period_start_date,
        previous_history.segment_code as from_segment_code,
        cast(null as {{ api.Column.translate_type('string') }}) as to_segment_code,
        previous_history.customer_id

    from periods
    inner join segment_history as previous_history
        on periods.previous_period_start_date = previous_history.period_start_date
    left join segment_history as current_history
        on
            periods.period_start_date = current_history.period_start_date
            and previous_history.customer_id = current_history.customer_id
    where current_history.customer_id is null

),

movements as (

    select * from arrivals
    union all
    select * from departures

),

counted as (

    select
        period_start_date,
        previous_period_start_date,
        from_segment_code,
        to_segment_code,
        count(*) as customers

    from movements
    group by period_start_date, previous_period_start_date, from_segment_code, to_segment_code

),

final as (

    select
        period_start_date,
        previous_period_start_date,
        from_segment_code,
        to_segment_code,
        coalesce(from_segment_code, '(new)') as from_segment_label,
        coalesce(to_segment_code, '(gone)') as to_segment_label,
        coalesce(from_segment_code = to_segment_code, false) as is_same_segment,
        cast(customers as integer) as customers

    from counted

)

select
    period_start_date,
    previous_period_start_date,
    from_segment_code,
    to_segment_code,
    from_segment_label,
    to_segment_label,
    is_same_segment,
    customers
from final
