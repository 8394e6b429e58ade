with

customers as (

    -- each accepted id's current record (its latest load's)
    select * from {{ ref('rfm', 'int_customers_validated') }}
    where rejection_reason is null

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

final as (

    -- the surviving record's own concern; when it declared none, the first one among the merged records
    select
        customer_ids.merged_into_customer_id as customer_id,
        coalesce(
            min(
                case
                    when customer_ids.customer_id = customer_ids.merged_into_customer_id
                        then customers.concern
                end
            ),
            min(customers.concern)
        ) as concern

    from customer_ids
    inner join customers
        on customer_ids.customer_id = customers.customer_id
    group by customer_ids.merged_into_customer_id

)

select * from final
