-- How much the tie policy matters on your data: customers whose score, cell or segment differs between
-- `split` (NTILE with customer_id as tie-breaker) and `shared` (equal values share the lowest bucket).
-- Run: dbt compile --select tie_effect, or paste target/compiled/.../tie_effect.sql into your SQL tool.

with

scored as (

    -- today's scoring (the other rows are the history's periods)
    select * from {{ ref('rfm', 'int_customers_scored') }}
    where period_start_date is null

),

segment_map as (

    -- the map of the active grid
    select * from {{ rfm_seed('rfm_segment_map') }}
    where score_levels = {{ rfm_score_levels() }}

),

both_segments as (

    select
        scored.customer_id,
        scored.frequency,
        scored.r_score_split <> scored.r_score_shared as is_r_moved,
        scored.f_score_split <> scored.f_score_shared as is_f_moved,
        scored.m_score_split <> scored.m_score_shared as is_m_moved,
        split_map.segment_code as split_segment_code,
        shared_map.segment_code as shared_segment_code

    from scored
    left join segment_map as split_map
        on
            scored.r_score_split = split_map.r_score
            and scored.f_score_split = split_map.f_score
            and scored.m_score_split = split_map.m_score
    left join segment_map as shared_map
        on
            scored.r_score_shared = shared_map.r_score
            and scored.f_score_shared = shared_map.f_score
            and scored.m_score_shared = shared_map.m_score

),

final as (

    select
        count(*) as scored_customers,
        sum(case when frequency = 1 then 1 else 0 end) as one_order_customers,
        sum(case when is_r_moved then 1 else 0 end) as r_score_moved,
        sum(case when is_f_moved then 1 else 0 end) as f_score_moved,
        sum(case when is_m_moved then 1 else 0 end) as m_score_moved,
        sum(case when is_r_moved or is_f_moved or is_m_moved then 1 else 0 end) as cell_moved,
        sum(case when split_segment_code <> shared_segment_code then 1 else 0 end) as segment_moved

    from both_segments

)

select
    scored_customers,
    one_order_customers,
    r_score_moved,
    f_score_moved,
    m_score_moved,
    cell_moved,
    segment_moved
from final
