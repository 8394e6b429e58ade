{{ config(materialized='table') }}
with

customers as (

    select * from {{ ref('rfm', 'int_customers_validated') }}
    where rejection_reason is null

),

raw_customers as (

    -- every raw record, rejected ones included: a refusal counts wherever it was written
    select * from {{ ref('rfm', 'stg_raw__customers') }}

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

merged_away_counts as (

    select
        merged_into_customer_id as customer_id,
        count(*) as merged_away_count

    from merged_away_ids
    group by merged_into_customer_id

),

refused_emails as (

    -- consent is a suppression rule: an address refused by any raw record, accepted or rejected (a
    -- conflicting duplicate, an unparseable date), is refused for every customer holding it
    select distinct email
    from raw_customers
    where accepts_marketing = false and email is not null

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
        -- a merge never widens consent: the merged records share the survivor's address, so one refusal
        -- among them (or on any rejected record of the address) wins
        case when refused_emails.email is not null then false else survivors.accepts_marketing end
            as accepts_marketing,
        -- the survivor itself and the records merged into it
        1 + coalesce(merged_away_counts.merged_away_count, 0) as merged_record_count

    from survivors
    left join merged_away_counts
        on survivors.customer_id = merged_away_counts.customer_id
    left join refused_emails
        on survivors.email = refused_emails.email

)

select * from final
