with

profiles as (

    select * from {{ ref('rfm', 'int_customer_lifecycle_profiles') }}

),

first_matches as (

    -- the first matching rule by priority
    select * from {{ ref('rfm', 'int_customer_lifecycle_rule_matches') }}
    where match_rank = 1

),

rules as (

    select * from {{ ref('rfm', 'lifecycle_segment_rules') }}

),

final as (

    select
        profiles.customer_id,
        profiles.as_of_date,
        profiles.is_known_customer,
        profiles.order_count,
        profiles.first_order_date,
        profiles.last_order_date,
        profiles.days_since_last_order,
        profiles.avg_purchase_cycle_days,
        profiles.days_until_replenishment,
        profiles.is_replenishment_due,
        -- a customer no rule matches is kept, visibly, rather than dropped
        coalesce(rules.segment_code, 'unclassified') as lifecycle_segment_code,
        coalesce(rules.segment_name, 'Unclassified') as lifecycle_segment_name,
        cast(rules.priority as integer) as lifecycle_rule_priority

    from profiles
    left join first_matches
        on profiles.customer_id = first_matches.customer_id
    left join rules
        on first_matches.segment_code = rules.segment_code

)

select
    customer_id,
    as_of_date,
    is_known_customer,
    order_count,
    first_order_date,
    last_order_date,
    days_since_last_order,
    avg_purchase_cycle_days,
    days_until_replenishment,
    is_replenishment_due,
    lifecycle_segment_code,
    lifecycle_segment_name,
    lifecycle_rule_priority
from final
