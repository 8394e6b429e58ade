{{ config(materialized='table') }}
{#- The 1..N scores (docs/rules.md section 7) of every scoring window, today's (period_start_date null) and
    each history period's: NTILEs within the window, both tie policies side by side, and the segment of the
    chosen scores. The best customers sort last and land in bucket N. -#}
{%- set tie_policy = rfm_tie_policy() -%}
{%- set levels = rfm_score_levels() %}

with

customers as (

    select * from {{ ref('rfm', 'int_purchases_aggregated_to_customers') }}

),

segment_map as (

    -- the map of the active grid
    select * from {{ rfm_seed('rfm_segment_map') }}
    where score_levels = {{ levels }}

),

split_scored as (

    -- customer_id, in byte order, makes each order total
    select
        customers.*,
        ntile({{ levels }}) over (
            partition by customers.period_start_date
            order by customers.recency_days desc, {{ rfm_ordering_text('customers.customer_id') }} asc
        ) as r_score_split,
        ntile({{ levels }}) over (
            partition by customers.period_start_date
            order by customers.frequency asc, {{ rfm_ordering_text('customers.customer_id') }} asc
        ) as f_score_split,
        ntile({{ levels }}) over (
            partition by customers.period_start_date
            order by customers.monetary asc, {{ rfm_ordering_text('customers.customer_id') }} asc
        ) as m_score_split

    from customers

),

shared_scored as (

    -- equal values share the lowest bucket any of them reached
    select
        split_scored.*,
        min(split_scored.r_score_split) over (
            partition by split_scored.period_start_date, split_scored.recency_days
        ) as r_score_shared,
        min(split_scored.f_score_split) over (
            partition by split_scored.period_start_date, split_scored.frequency
        ) as f_score_shared,
        min(split_scored.m_score_split) over (
            partition by split_scored.period_start_date, split_scored.monetary
        ) as m_score_shared

    from split_scored

),

chosen as (

    select
        shared_scored.*,
        cast(shared_scored.r_score_{{ tie_policy }} as integer) as r_score,
        cast(shared_scored.f_score_{{ tie_policy }} as integer) as f_score,
        cast(shared_scored.m_score_{{ tie_policy }} as integer) as m_score

    from shared_scored

),

final as (

    select
        chosen.period_start_date,
        chosen.customer_id,
        chosen.as_of_date,
        chosen.first_order_date,
        chosen.last_order_date,
        chosen.recency_days,
        chosen.frequency,
        chosen.monetary,
        chosen.r_score_split,
        chosen.r_score_shared,
        chosen.r_score,
        chosen.f_score_split,
        chosen.f_score_shared,
        chosen.f_score,
        chosen.m_score_split,
        chosen.m_score_shared,
        chosen.m_score,
        {{ rfm_cell('chosen') }} as rfm_cell,
        segment_map.segment_code,
        {{ levels }} as score_levels,
        '{{ tie_policy }}' as tie_policy

    from chosen
    left join segment_map
        on
            chosen.r_score = segment_map.r_score
            and chosen.f_score = segment_map.f_score
            and chosen.m_score = segment_map.m_score

)

select * from final
