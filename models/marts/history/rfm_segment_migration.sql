with

segment_history as (

    select * from {{ ref('rfm', 'int_segment_history_sequenced') }}

),

segments as (

    select * from {{ rfm_seed('rfm_segments') }}

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

display_bounds as (

    select max(display_order) as last_display_order
    from segments

),

final as (

    -- display names and order for a BI axis: (new) before every segment, (gone) after; a code the seed no
    -- longer holds keeps its code and sorts with (gone)
    select
        counted.period_start_date,
        counted.previous_period_start_date,
        counted.from_segment_code,
        counted.to_segment_code,
        case
            when counted.from_segment_code is null then '(new)'
            else coalesce(from_segments.segment_name, counted.from_segment_code)
        end as from_segment_label,
        case
            when counted.to_segment_code is null then '(gone)'
            else coalesce(to_segments.segment_name, counted.to_segment_code)
        end as to_segment_label,
        cast(
            case
                when counted.from_segment_code is null then 0
                else coalesce(from_segments.display_order, display_bounds.last_display_order + 1)
            end as integer
        ) as from_display_order,
        cast(coalesce(to_segments.display_order, display_bounds.last_display_order + 1) as integer)
            as to_display_order,
        coalesce(counted.from_segment_code = counted.to_segment_code, false) as is_same_segment,
        cast(counted.customers as integer) as customers

    from counted
    cross join display_bounds
    left join segments as from_segments
        on counted.from_segment_code = from_segments.segment_code
    left join segments as to_segments
        on counted.to_segment_code = to_segments.segment_code

)

select
    period_start_date,
    previous_period_start_date,
    from_segment_code,
    to_segment_code,
    from_segment_label,
    to_segment_label,
    from_display_order,
    to_display_order,
    is_same_segment,
    customers
from final
