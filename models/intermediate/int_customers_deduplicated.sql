{{ config(materialized='table') }}
with

customers as (

    select * from {{ ref('int_customers_validated') }}
    where rejection_reason is null

),

customer_ids as (

    select * from {{ ref('int_customer_ids_mapped') }}

),

consent as (

    select
        customer_ids.merged_into_customer_id as customer_id,
        count(*) as merged_record_count,
        max(case when customers.accepts_marketing = false then 1 else 0 end) as has_refused_marketing

    from customer_ids
    inner join customers
        on customer_ids.customer_id = customers.customer_id
    group by customer_ids.merged_into_customer_id

),

final as (

    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.created_at,
        customers.country,
        -- a merge never widens consent: one refusal among the merged records wins
        case when consent.has_refused_marketing = 1 then false else customers.accepts_marketing end
            as accepts_marketing,
        consent.merged_record_count

    from customers
    inner join consent
        on customers.customer_id = consent.customer_id

)

select * from final
