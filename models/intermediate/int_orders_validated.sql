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

copies_numbered as (

    select
        orders.*,
        {{ rfm_copy_number('order_id', content_columns) }} as copy_number

    from orders

),

conflicting_order_ids as (

    {{ rfm_conflicting_keys('orders', 'order_id', content_columns) }}

),

checked as (

    select
        copies_numbered.order_id,
        copies_numbered.customer_id,
        copies_numbered.ordered_at_text,
        copies_numbered.ordered_at,
        cast(copies_numbered.ordered_at as date) as ordered_date,
        copies_numbered.order_total_text,
        copies_numbered.order_total,
        copies_numbered.status,
        copies_numbered.currency,
        copies_numbered.refund_of_order_id,
        copies_numbered.refund_of_order_id is not null as is_refund,
        coalesce(order_statuses.is_purchase, copies_numbered.status is null) as is_purchase_status,
        cast(
            round(
                copies_numbered.order_total
                * case
                    when coalesce(copies_numbered.currency, '{{ base_currency }}') = '{{ base_currency }}' then 1
                    else currency_rates.rate_to_base
                end,
                2
            ) as decimal(18, 2)
        ) as order_total_base,
        case
            when copies_numbered.order_id is null then 'missing_order_id'
            when conflicting_order_ids.order_id is not null then 'conflicting_duplicate'
            when copies_numbered.copy_number > 1 then 'duplicate_row'
            when copies_numbered.customer_id is null then 'missing_customer_id'
            when copies_numbered.ordered_at is null then 'unparseable_ordered_at'
            when not copies_numbered.is_order_total_numeric then 'non_numeric_order_total'
            when
                copies_numbered.order_total is null
                or abs(copies_numbered.order_total) > {{ rfm_max_order_total() }}
                then 'absurd_order_total'
            when copies_numbered.status is not null and order_statuses.status is null then 'unknown_status'
            when
                coalesce(copies_numbered.currency, '{{ base_currency }}') <> '{{ base_currency }}'
                and currency_rates.currency_code is null
                then 'unknown_currency'
            when cast(copies_numbered.ordered_at as date) > {{ rfm_today() }} then 'future_dated'
            when copies_numbered.order_total < 0 and copies_numbered.refund_of_order_id is null
                then 'negative_order_total'
            when copies_numbered.order_total >= 0 and copies_numbered.refund_of_order_id is not null
                then 'invalid_refund_amount'
        end as row_rejection_reason

    from copies_numbered
    left join conflicting_order_ids
        on copies_numbered.order_id = conflicting_order_ids.order_id
    left join order_statuses
        on copies_numbered.status = order_statuses.status
    left join currency_rates
        on copies_numbered.currency = currency_rates.currency_code

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
