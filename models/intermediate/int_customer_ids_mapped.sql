{{ config(materialized='table') }}
with

customers as (

    select * from {{ ref('rfm', 'int_customers_validated') }}
    where rejection_reason is null

),

shared_emails as (

    -- almost every email belongs to one customer, who maps to itself: a group-by finds the few shared
    -- ones, so that the survivor window only ever sees the customers sharing an email
    select email
    from customers
    where email is not null
    group by email
    having count(*) > 1

),

sharing_customers as (

    select
        customers.customer_id,
        customers.email,
        customers.created_at

    from customers
    inner join shared_emails
        on customers.email = shared_emails.email

),

survivors_picked as (

    select
        customer_id,
        -- the survivor is the record created first; unknown creation counts as latest, then smallest id
        first_value(customer_id) over (
            partition by email
            order by
                case when created_at is null then 1 else 0 end,
                created_at,
                {{ rfm_ordering_text('customer_id') }}
            rows between unbounded preceding and unbounded following
        ) as merged_into_customer_id

    from sharing_customers

),

mapped as (

    -- accepted customer ids are unique, so the join keeps one row per customer
    select
        customers.customer_id,
        customers.email,
        coalesce(survivors_picked.merged_into_customer_id, customers.customer_id) as merged_into_customer_id

    from customers
    left join survivors_picked
        on customers.customer_id = survivors_picked.customer_id

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
