with

staged_customers as (

    select * from {{ ref('rfm', 'stg_raw__customers') }}

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
                        then staged_customers.concern
                end
            ),
            min(staged_customers.concern)
        ) as concern

    from customer_ids
    inner join staged_customers
        on customer_ids.customer_id = staged_customers.customer_id
    group by customer_ids.merged_into_customer_id

)

select * from final
