{#- docs/campaigns.md: per flow and entry cohort (and per flow over all cohorts), treated against holdout. -#}
{%- set min_group_size = rfm_flow_min_group_size() -%}
{%- set counts -%}
        count(entrants.customer_id) as entrants,
        sum(case when not entrants.is_holdout then 1 else 0 end) as treated_entrants,
        sum(case when entrants.is_holdout then 1 else 0 end) as holdout_entrants,
        sum(case when not entrants.is_holdout and entrants.is_converted then 1 else 0 end) as treated_conversions,
        sum(case when entrants.is_holdout and entrants.is_converted then 1 else 0 end) as holdout_conversions,
        sum(case when not entrants.is_holdout then entrants.conversion_revenue else 0 end) as treated_revenue,
        sum(case when entrants.is_holdout then entrants.conversion_revenue else 0 end) as holdout_revenue,
        sum(case when not entrants.is_window_complete then 1 else 0 end) = 0 as is_window_complete
{%- endset -%}
{%- set treated_rate = rfm_double('treated_conversions') ~ ' / ' ~ rfm_double('nullif(treated_entrants, 0)') -%}
{%- set holdout_rate = rfm_double('holdout_conversions') ~ ' / ' ~ rfm_double('nullif(holdout_entrants, 0)') -%}
{%- set incremental_revenue -%}
    ({{ rfm_double('treated_revenue') }} - {{ rfm_double('holdout_revenue') }} * treated_entrants
        / {{ rfm_double('nullif(holdout_entrants, 0)') }})
{%- endset -%}
{%- set campaign_cost = 'cost_per_entrant * treated_entrants' -%}

with

flows as (

    select * from {{ ref('rfm', 'campaign_flows') }}

),

entrants as (

    -- an entry seen on as_of_date itself has no day of its window behind it yet: it counts from the next build
    select * from {{ ref('rfm', 'campaign_flow_entrants') }}
    where is_measured

),

by_cohort as (

    select
        entrants.flow_code,
        entrants.cohort_start_date,
        false as is_flow_total,
        {{ counts }}

    from entrants
    group by entrants.flow_code, entrants.cohort_start_date

),

by_flow as (

    -- every flow of the seed, with or without entrants
    select
        flows.flow_code,
        cast(null as date) as cohort_start_date,
        true as is_flow_total,
        {{ counts }}

    from flows
    left join entrants
        on flows.flow_code = entrants.flow_code
    group by flows.flow_code

),

counted as (

    select * from by_cohort
    union all
    select * from by_flow

),

final as (

    select
        counted.flow_code,
        flows.segment_code,
        counted.cohort_start_date,
        counted.is_flow_total,
        counted.is_window_complete,
        cast(counted.entrants as integer) as entrants,
        cast(counted.treated_entrants as integer) as treated_entrants,
        cast(counted.holdout_entrants as integer) as holdout_entrants,
        cast(counted.treated_conversions as integer) as treated_conversions,
        cast(counted.holdout_conversions as integer) as holdout_conversions,
        {{ rfm_exact_ratio('counted.treated_conversions', 'counted.treated_entrants', 4) }} as treated_conversion_rate,
        {{ rfm_exact_ratio('counted.holdout_conversions', 'counted.holdout_entrants', 4) }} as holdout_conversion_rate,
        cast(coalesce(counted.treated_revenue, 0) as decimal(38, 2)) as treated_revenue,
        cast(coalesce(counted.holdout_revenue, 0) as decimal(38, 2)) as holdout_revenue,
        {{ rfm_exact_ratio('coalesce(counted.treated_revenue, 0) * 100', 'counted.treated_entrants * 100', 2) }}
            as treated_revenue_per_entrant,
        {{ rfm_exact_ratio('coalesce(counted.holdout_revenue, 0) * 100', 'counted.holdout_entrants * 100', 2) }}
            as holdout_revenue_per_entrant,
        cast({{ treated_rate }} - {{ holdout_rate }} as decimal(9, 4)) as absolute_uplift,
        cast(
            ({{ treated_rate }} - {{ holdout_rate }}) / nullif({{ holdout_rate }}, 0) as decimal(18, 4)
        ) as relative_uplift,
        {{ rfm_uplift_bound('counted.treated_conversions', 'counted.treated_entrants',
                            'counted.holdout_conversions', 'counted.holdout_entrants', 'lower') }} as uplift_lower_bound,
        {{ rfm_uplift_bound('counted.treated_conversions', 'counted.treated_entrants',
                            'counted.holdout_conversions', 'counted.holdout_entrants', 'upper') }} as uplift_upper_bound,
        (
            counted.treated_entrants < {{ min_group_size }} or counted.holdout_entrants < {{ min_group_size }}
        ) as is_too_small_to_say,
        cast({{ incremental_revenue }} as decimal(38, 2)) as incremental_revenue,
        flows.cost_per_entrant,
        cast({{ campaign_cost }} as decimal(38, 2)) as campaign_cost,
        cast(
            ({{ incremental_revenue }} - {{ rfm_double(campaign_cost) }})
            / {{ rfm_double('nullif(' ~ campaign_cost ~ ', 0)') }} as decimal(18, 4)
        ) as return_on_investment

    from counted
    inner join flows
        on counted.flow_code = flows.flow_code

)

select
    flow_code,
    segment_code,
    cohort_start_date,
    is_flow_total,
    is_window_complete,
    entrants,
    treated_entrants,
    holdout_entrants,
    treated_conversions,
    holdout_conversions,
    treated_conversion_rate,
    holdout_conversion_rate,
    treated_revenue,
    holdout_revenue,
    treated_revenue_per_entrant,
    holdout_revenue_per_entrant,
    absolute_uplift,
    relative_uplift,
    uplift_lower_bound,
    uplift_upper_bound,
    is_too_small_to_say,
    incremental_revenue,
    cost_per_entrant,
    campaign_cost,
    return_on_investment
from final
