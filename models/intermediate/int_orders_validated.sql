{{ config(materialized='table') }}

{%- set content_columns = [
    'order_id', 'customer_id', 'ordered_at_text', 'order_total_text', 'status', 'currency', 'refund_of_order_id',
] -%}
{%- set base_currency = rfm_base_currency() %}

with

orders as (

    select * from {{ ref('stg_raw__orders') }}

),

order_statuses as (

    select * from {{ ref('order_statuses') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

ids_counted as (

    -- one window over order_id (cheap) instead of one over every content column: almost every id is
    -- unique, and only ids with several rows need the content comparison below
    select
        orders.*,
        count(*) over (partition by orders.order_id) as order_id_rows,
        -- rows of a non-conflicting id are identical, so any numbering is a valid copy number; rows of a
        -- conflicting id are all rejected before copy_number is looked at
        row_number() over (partition by orders.order_id order by orders.order_id) as copy_number

    from orders

),

repeated_ids as (

    select * from ids_counted
    where order_id_rows > 1

),

conflicting_order_ids as (

    {{ rfm_conflicting_keys('repeated_ids', 'order_id', content_columns) }}

),

checked as (

    select
        ids_counted.order_id,
        ids_counted.customer_id,
        ids_counted.ordered_at_text,
        ids_counted.ordered_at,
        cast(ids_counted.ordered_at as date) as ordered_date,
        ids_counted.order_total_text,
        ids_counted.order_total,
        ids_counted.status,
        ids_counted.currency,
        ids_counted.refund_of_order_id,
        ids_counted.refund_of_order_id is not null as is_refund,
        coalesce(order_statuses.is_purchase, ids_counted.status is null) as is_purchase_status,
        cast(
            round(
                ids_counted.order_total
                * case
                    when coalesce(ids_counted.currency, '{{ base_currency }}') = '{{ base_currency }}' then 1
                    else currency_rates.rate_to_base
                end,
                2
            ) as decimal(18, 2)
        ) as order_total_base,
        case
            when ids_counted.order_id is null then 'missing_order_id'
            when conflicting_order_ids.order_id is not null then 'conflicting_duplicate'
            when ids_counted.copy_number > 1 then 'duplicate_row'
            when ids_counted.customer_id is null then 'missing_customer_id'
            when ids_counted.ordered_at is null then 'unparseable_ordered_at'
            when not ids_counted.is_order_total_numeric then 'non_numeric_order_total'
            when
                ids_counted.order_total is null
                or abs(ids_counted.order_total) > {{ rfm_max_order_total() }}
                then 'absurd_order_total'
            when ids_counted.status is not null and order_statuses.status is null then 'unknown_status'
            when
                coalesce(ids_counted.currency, '{{ base_currency }}') <> '{{ base_currency }}'
                and currency_rates.currency_code is null
                then 'unknown_currency'
            when cast(ids_counted.ordered_at as date) > {{ rfm_today() }} then 'future_dated'
            when ids_counted.order_total < 0 and ids_counted.refund_of_order_id is null
                then 'negative_order_total'
            when ids_counted.order_total >= 0 and ids_counted.refund_of_order_id is not null
                then 'invalid_refund_amount'
        end as row_rejection_reason

    from ids_counted
    left join conflicting_order_ids
        on ids_counted.order_id = conflicting_order_ids.order_id
    left join order_statuses
        on ids_counted.status = order_statuses.status
    left join currency_rates
        on ids_counted.currency = currency_rates.currency_code

),

refundable_order_ids as (

    select order_id
    from checked
    where row_rejection_reason is null and not is_refund

),

final as (

    select
        checked.order_id,
        checked.customer_id,
        checked.ordered_at_text,
        checked.ordered_at,
        checked.ordered_date,
        checked.order_total_text,
        checked.order_total,
        checked.order_total_base,
        checked.status,
        checked.currency,
        checked.refund_of_order_id,
        checked.is_refund,
        checked.is_purchase_status,
        case
            when checked.row_rejection_reason is not null then checked.row_rejection_reason
            when checked.is_refund and refundable_order_ids.order_id is null then 'orphan_refund'
        end as rejection_reason

    from checked
    left join refundable_order_ids
        on checked.refund_of_order_id = refundable_order_ids.order_id

)

select * from final
