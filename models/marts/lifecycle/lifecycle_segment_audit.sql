with

rules as (

    select * from {{ ref('rfm', 'lifecycle_segment_rules') }}

),

matches as (

    select * from {{ ref('rfm', 'int_customer_lifecycle_rule_matches') }}

),

lifecycle as (

    select * from {{ ref('rfm', 'customer_lifecycle') }}

),

segments as (

    select
        rules.segment_code,
        rules.segment_name,
        cast(rules.priority as integer) as priority,
        {{ rfm_lifecycle_never_match_reason('rules') }} as never_match_reason

    from rules

    union all

    -- customers no rule matches: counted, never dropped
    select
        'unclassified' as segment_code,
        'Unclassified' as segment_name,
        cast(null as integer) as priority,
        cast(null as {{ api.Column.translate_type('string') }}) as never_match_reason

),

matching as (

    select
        segment_code,
        count(*) as matching_customers

    from matches
    group by segment_code

),

assigned as (

    select
        lifecycle_segment_code as segment_code,
        count(*) as assigned_customers

    from lifecycle
    group by lifecycle_segment_code

),

totals as (

    select count(*) as total_customers
    from lifecycle

),

final as (

    select
        segments.segment_code,
        segments.segment_name,
        segments.priority,
        segments.segment_code = 'unclassified' as is_unclassified,
        -- the unclassified customers match no rule: their "own" count is their count
        cast(
            case
                when segments.segment_code = 'unclassified' then coalesce(assigned.assigned_customers, 0)
                else coalesce(matching.matching_customers, 0)
            end as bigint
        ) as matching_customers,
        cast(coalesce(assigned.assigned_customers, 0) as bigint) as assigned_customers,
        cast(
            case
                when segments.segment_code = 'unclassified' then 0
                else coalesce(matching.matching_customers, 0) - coalesce(assigned.assigned_customers, 0)
            end as bigint
        ) as kept_by_higher_priority,
        cast(
            {{ rfm_exact_ratio('coalesce(assigned.assigned_customers, 0)', 'totals.total_customers', 4) }}
            as decimal(9, 4)
        ) as customer_share,
        segments.never_match_reason

    from segments
    cross join totals
    left join matching
        on segments.segment_code = matching.segment_code
    left join assigned
        on segments.segment_code = assigned.segment_code

)

select
    segment_code,
    segment_name,
    priority,
    is_unclassified,
    matching_customers,
    assigned_customers,
    kept_by_higher_priority,
    customer_share,
    never_match_reason
from final
