{#- Incremental (docs/incremental.md): a daily run validates the customer rows loaded since the last run. A
    customer's record is its latest load's: the new rows of an id replace its stored rows (delete+insert on
    customer_id), so nothing stored needs validating again. A table on Spark, as int_orders_validated. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    on_schema_change='fail',
    pre_hook="{{ rfm_validated_rows_reset('stg_raw__customers', rfm_customer_rules_hash()) }}",
) }}
{%- set content_columns = [
    'customer_id', 'email', 'first_name', 'created_at_text', 'country', 'accepts_marketing_text', 'concern',
] %}
{%- set parsed_columns = content_columns + ['created_at', 'accepts_marketing'] %}
{%- do rfm_require_stored_columns(['load_id', 'validation_rules_hash']) %}

with

customers as (

    select * from {{ ref('rfm', 'stg_raw__customers') }}

),

rules as (

    -- one row: computed once, not per customer row
    select {{ rfm_customer_rules_hash() }} as validation_rules_hash

),

{% if is_incremental() %}

    new_rows as (

        -- loaded since the last run (every row, after the pre-hook emptied the table)
        select customers.*
        from customers
        where
            {{ rfm_load_id('customers.load_id') }}
            > (select coalesce(max(validated.load_id), -1) from {{ this }} as validated)

    ),

{% else %}

    new_rows as (

        select * from customers

    ),

{% endif %}

candidates as (

    select
        {%- for column in parsed_columns %}
            new_rows.{{ column }},
        {%- endfor %}
        {{ rfm_load_id('new_rows.load_id') }} as load_id

    from new_rows

),

repeated_ids as (

    -- almost every id is on one row: a group-by finds the few repeated ones (in one load or across loads),
    -- so that the latest load, the copy numbering and the content comparison below only see their rows
    select customer_id
    from candidates
    where customer_id is not null
    group by customer_id
    having count(*) > 1

),

single_rows as (

    -- rows whose id is on no other row (or is missing): each is the only copy of itself
    select
        candidates.*,
        1 as copy_number

    from candidates
    left join repeated_ids
        on candidates.customer_id = repeated_ids.customer_id
    where repeated_ids.customer_id is null

),

repeated_rows as (

    select
        candidates.*,
        max(candidates.load_id) over (partition by candidates.customer_id) as latest_load_id

    from candidates
    inner join repeated_ids
        on candidates.customer_id = repeated_ids.customer_id

),

current_repeated_rows as (

    -- a later load of an id replaces its earlier records (the latest load wins): only the copies in the
    -- latest load are the customer, and only they are compared
    select
        {%- for column in parsed_columns %}
            repeated_rows.{{ column }},
        {%- endfor %}
        repeated_rows.load_id

    from repeated_rows
    where repeated_rows.load_id = repeated_rows.latest_load_id

),

repeated_rows_numbered as (

    -- rows of a non-conflicting id are identical, so any numbering is a valid copy number; rows of a
    -- conflicting id are all rejected before copy_number is looked at
    select
        current_repeated_rows.*,
        row_number() over (
            partition by current_repeated_rows.customer_id order by current_repeated_rows.customer_id
        ) as copy_number

    from current_repeated_rows

),

conflicting_customer_ids as (

    {{ rfm_conflicting_keys('current_repeated_rows', 'customer_id', content_columns) }}

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
        end as rejection_reason,
        rows_numbered.load_id,
        rules.validation_rules_hash

    from rows_numbered
    cross join rules
    left join conflicting_customer_ids
        on rows_numbered.customer_id = conflicting_customer_ids.customer_id

)

select * from final
