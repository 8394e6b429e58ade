{#- docs/campaigns.md: who entered each flow, their group, and whether they bought within the window. -#}
{%- set window_days = rfm_flow_conversion_window_days() -%}

with

flows as (

    select * from {{ ref('rfm', 'campaign_flows') }}

),

entries as (

    select * from {{ ref('rfm', 'rfm_segment_entries') }}

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

purchase_days as (

    -- the valid purchases on as_of_date (the scoring's rule), under the customer's surviving id, by day
    select * from {{ ref('rfm', 'int_customer_purchase_days_aggregated') }}

),

flow_entries as (

    -- entries into the flow's segment from its start on; a member since the history's start has no known
    -- entry date, so it is never an entrant
    select
        flows.flow_code,
        flows.segment_code,
        flows.holdout_share,
        entries.customer_id,
        entries.entered_on,
        row_number() over (
            partition by flows.flow_code, entries.customer_id order by entries.entered_on asc
        ) as entry_number

    from flows
    inner join entries
        on
            flows.segment_code = entries.segment_code
            and flows.starts_on <= entries.entered_on
    where entries.entry_kind <> 'history_start'

),

entrants as (

    -- a customer enters a flow once: the first entry from its start on
    select
        flow_code,
        segment_code,
        customer_id,
        entered_on,
        cast({{ dbt.dateadd('day', window_days, 'entered_on') }} as date) as window_end_date,
        {{ rfm_is_holdout('flow_code', 'customer_id', 'holdout_share') }} as is_holdout

    from flow_entries
    where entry_number = 1

),

conversions as (

    -- purchases dated from the entry day on, before the window's end
    select
        entrants.flow_code,
        entrants.customer_id,
        min(purchase_days.ordered_date) as first_conversion_date,
        sum(purchase_days.purchases) as conversion_orders,
        sum(purchase_days.net_total_base) as conversion_revenue

    from entrants
    inner join purchase_days
        on
            entrants.customer_id = purchase_days.customer_id
            and entrants.entered_on <= purchase_days.ordered_date
            and entrants.window_end_date > purchase_days.ordered_date
    group by entrants.flow_code, entrants.customer_id

),

final as (

    select
        entrants.flow_code,
        entrants.segment_code,
        entrants.customer_id,
        entrants.entered_on,
        cast({{ dbt.date_trunc('month', 'entrants.entered_on') }} as date) as cohort_start_date,
        entrants.window_end_date,
        entrants.entered_on < scoring_window.as_of_date as is_measured,
        entrants.window_end_date <= scoring_window.as_of_date as is_window_complete,
        entrants.is_holdout,
        conversions.first_conversion_date is not null as is_converted,
        conversions.first_conversion_date,
        cast(coalesce(conversions.conversion_orders, 0) as integer) as conversion_orders,
        cast(coalesce(conversions.conversion_revenue, 0) as decimal(38, 2)) as conversion_revenue

    from entrants
    cross join scoring_window
    left join conversions
        on
            entrants.flow_code = conversions.flow_code
            and entrants.customer_id = conversions.customer_id

)

select
    flow_code,
    segment_code,
    customer_id,
    entered_on,
    cohort_start_date,
    window_end_date,
    is_measured,
    is_window_complete,
    is_holdout,
    is_converted,
    first_conversion_date,
    conversion_orders,
    conversion_revenue
from final
