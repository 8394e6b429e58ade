with

profiles as (

    select * from {{ ref('rfm', 'int_customer_lifecycle_profiles') }}

),

rules as (

    select * from {{ ref('rfm', 'lifecycle_segment_rules') }}

),

matches as (

    -- every rule a customer meets on its own: the rules are data, the conditions are in the macro
    select
        profiles.customer_id,
        rules.segment_code,
        rules.priority

    from profiles
    cross join rules
    where {{ rfm_lifecycle_rule_matches('profiles', 'rules') }}

),

final as (

    select
        customer_id,
        segment_code,
        priority,
        row_number() over (partition by customer_id order by priority asc, segment_code asc) as match_rank

    from matches

)

select * from final
