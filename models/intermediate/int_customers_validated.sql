{{ config(materialized='table') }}
{%- set content_columns = [
    'customer_id', 'email', 'first_name', 'created_at_text', 'country', 'accepts_marketing_text', 'concern',
] %}

with

customers as (

    select * from {{ ref('rfm', 'stg_raw__customers') }}

),

repeated_ids as (

    -- almost every id is on one row: a group-by finds the few repeated ones, so that the copy numbering
    -- and the content comparison below only ever see the rows of those ids
    select customer_id
    from customers
    where customer_id is not null
    group by customer_id
    having count(*) > 1

),

single_rows as (

    -- rows whose id is on no other row (or is missing): each is the only copy of itself
    select
        customers.*,
        1 as copy_number

    from customers
    left join repeated_ids
        on customers.customer_id = repeated_ids.customer_id
    where repeated_ids.customer_id is null

),

repeated_rows as (

    select customers.*
    from customers
    inner join repeated_ids
        on customers.customer_id = repeated_ids.customer_id

),

repeated_rows_numbered as (

    -- rows of a non-conflicting id are identical, so any numbering is a valid copy number; rows of a
    -- conflicting id are all rejected before copy_number is looked at
    select
        repeated_rows.*,
        row_number() over (partition by repeated_rows.customer_id order by repeated_rows.customer_id) as copy_number

    from repeated_rows

),

conflicting_customer_ids as (

    {{ rfm_conflicting_keys('repeated_rows', 'customer_id', content_columns) }}

),

rows_numbered as (

    select * from single_rows
    union all
    select * from repeated_rows_numbered

),

final as (

    select
        rows_numbered.customer_id,
        rows_numbered.email,
        rows_numbered.first_name,
        rows_numbered.created_at_text,
        rows_numbered.created_at,
        rows_numbered.country,
        rows_numbered.accepts_marketing_text,
        rows_numbered.accepts_marketing,
        rows_numbered.concern,
        case
            when rows_numbered.customer_id is null then 'missing_customer_id'
            when conflicting_customer_ids.customer_id is not null then 'conflicting_duplicate'
            when rows_numbered.copy_number > 1 then 'duplicate_row'
            when rows_numbered.created_at_text is not null and rows_numbered.created_at is null
                then 'unparseable_created_at'
        end as rejection_reason

    from rows_numbered
    left join conflicting_customer_ids
        on rows_numbered.customer_id = conflicting_customer_ids.customer_id

)

select * from final
