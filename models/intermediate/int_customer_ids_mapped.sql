{{ config(materialized='table') }}
with

customers as (

    select * from {{ ref('int_customers_validated') }}
    where rejection_reason is null

),

mapped as (

    select
        customer_id,
        email,
        case
            when email is null then customer_id
            -- the survivor is the record created first; unknown creation counts as latest, then smallest id
            else first_value(customer_id) over (
                partition by email
                order by
                    case when created_at is null then 1 else 0 end,
                    created_at,
                    {{ rfm_ordering_text('customer_id') }}
                rows between unbounded preceding and unbounded following
            )
        end as merged_into_customer_id

    from customers

),

final as (

    select
        customer_id,
        merged_into_customer_id,
        email,
        customer_id <> merged_into_customer_id as is_merged

    from mapped

)

select * from final
