with

flows as (

    select * from {{ ref('rfm', 'campaign_flows') }}

),

customers as (

    select * from {{ ref('rfm', 'customer_rfm') }}

),

entries as (

    select * from {{ ref('rfm', 'rfm_segment_entries') }}

),

current_runs as (

    -- each customer's entry into the segment they are in now
    select
        customers.customer_id,
        customers.segment_code,
        customers.as_of_date,
        customers.segment_since_date,
        customers.email,
        customers.first_name,
        customers.accepts_marketing,
        entries.from_segment_code,
        entries.entry_kind

    from customers
    left join entries
        on
            customers.customer_id = entries.customer_id
            and customers.segment_code = entries.segment_code
            and customers.segment_since_date = entries.entered_on

),

eligible as (

    select
        flows.flow_code,
        flows.segment_code,
        flows.starts_on,
        flows.is_backfill,
        flows.holdout_share,
        current_runs.customer_id,
        current_runs.segment_since_date as entered_on,
        current_runs.from_segment_code,
        current_runs.entry_kind,
        current_runs.email,
        current_runs.first_name,
        current_runs.accepts_marketing

    from flows
    inner join current_runs
        on flows.segment_code = current_runs.segment_code
    where
        -- a flow that has not started yet has nobody
        flows.starts_on <= current_runs.as_of_date
        and (
            flows.is_backfill
            -- backfill off: entered on or after the start; members since the history's start may be older
            or (
                current_runs.segment_since_date >= flows.starts_on
                and current_runs.entry_kind <> 'history_start'
            )
        )

),

final as (

    select
        flow_code,
        segment_code,
        customer_id,
        entered_on,
        from_segment_code,
        entry_kind,
        is_backfill,
        coalesce(entered_on < starts_on, false) as is_backfilled_member,
        {{ rfm_is_holdout('flow_code', 'customer_id', 'holdout_share') }} as is_holdout,
        email,
        first_name,
        accepts_marketing

    from eligible

)

select
    flow_code,
    segment_code,
    customer_id,
    entered_on,
    from_segment_code,
    entry_kind,
    is_backfill,
    is_backfilled_member,
    is_holdout,
    email,
    first_name,
    accepts_marketing
from final
