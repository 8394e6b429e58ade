{%- set content_columns = [
    'customer_id', 'email', 'first_name', 'created_at_text', 'country', 'accepts_marketing_text',
] %}

with

customers as (

    select * from {{ ref('stg_raw__customers') }}

),

copies_numbered as (

    select
        customers.*,
        {{ rfm_copy_number('customer_id', content_columns) }} as copy_number

    from customers

),

conflicting_customer_ids as (

    {{ rfm_conflicting_keys('customers', 'customer_id', content_columns) }}

),

final as (

    select
        copies_numbered.customer_id,
        copies_numbered.email,
        copies_numbered.first_name,
        copies_numbered.created_at_text,
        copies_numbered.created_at,
        copies_numbered.country,
        copies_numbered.accepts_marketing_text,
        copies_numbered.accepts_marketing,
        case
            when copies_numbered.customer_id is null then 'missing_customer_id'
            when conflicting_customer_ids.customer_id is not null then 'conflicting_duplicate'
            when copies_numbered.copy_number > 1 then 'duplicate_row'
            when copies_numbered.created_at_text is not null and copies_numbered.created_at is null
                then 'unparseable_created_at'
        end as rejection_reason

    from copies_numbered
    left join conflicting_customer_ids
        on copies_numbered.customer_id = conflicting_customer_ids.customer_id

)

select * from final
