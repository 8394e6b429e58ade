{{ config(materialized='table') }}
with

customers as (

    select * from {{ ref('rfm', 'int_customers_validated') }}
    where rejection_reason is null

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

merged_away_ids as (

    -- the few ids merged into another one; every other accepted id is a survivor (it maps to itself)
    select
        customer_id,
        merged_into_customer_id

    from customer_ids
    where customer_id <> merged_into_customer_id

),

merged_away_consent as (

    select
        merged_away_ids.merged_into_customer_id as customer_id,
        count(*) as merged_away_count,
        max(case when customers.accepts_marketing = false then 1 else 0 end) as has_refused_marketing

    from merged_away_ids
    inner join customers
        on merged_away_ids.customer_id = customers.customer_id
    group by merged_away_ids.merged_into_customer_id

),

survivors as (

    select customers.*
    from customers
    left join merged_away_ids
        on customers.customer_id = merged_away_ids.customer_id
    where merged_away_ids.customer_id is null

),

final as (

    select
        survivors.customer_id,
        survivors.email,
        survivors.first_name,
        survivors.created_at,
        survivors.country,
        -- a merge never widens consent: one refusal among the merged records wins (the survivor's own
        -- refusal is its own value already)
        case when merged_away_consent.has_refused_marketing = 1 then false else survivors.accepts_marketing end
            as accepts_marketing,
        -- the survivor itself and the records merged into it
        1 + coalesce(merged_away_consent.merged_away_count, 0) as merged_record_count

    from survivors
    left join merged_away_consent
        on survivors.customer_id = merged_away_consent.customer_id

)

select * from final
