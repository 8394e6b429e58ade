{#- Incremental (docs/incremental.md): a daily run validates the rows loaded since the last run, together
    with the stored rows their rules depend on (the other rows of their order ids, and the refunds of
    those orders). dbt-spark offers delete+insert on Delta tables only; the project writes Parquet there. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
    pre_hook="{{ rfm_orders_validated_reset() }}",
) }}

{%- set content_columns = [
    'order_id', 'customer_id', 'ordered_at_text', 'order_total_text', 'status', 'currency', 'refund_of_order_id',
] -%}
{%- set row_columns = content_columns + ['ordered_at', 'is_order_total_numeric', 'order_total', 'load_id'] -%}
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

{% if is_incremental() %}

    stored as (

        select * from {{ this }}

    ),

    new_rows as (

        -- loaded since the last run (every row, after the pre-hook emptied the table)
        select orders.*
        from orders
        where {{ rfm_load_id('orders.load_id') }} > (select coalesce(max(stored.load_id), -1) from stored)

    ),

    changed_order_ids as (

        select order_id from new_rows
        where order_id is not null

        union

        -- future-dated now, or on the last run: today moves
        select order_id from stored
        where stored.rejection_reason = 'future_dated' or stored.ordered_date > {{ rfm_today() }}

    ),

    affected_order_ids as (

        select order_id from changed_order_ids

        union

        -- whether a refund is an orphan depends on its order
        select stored.order_id
        from stored
        inner join changed_order_ids
            on stored.refund_of_order_id = changed_order_ids.order_id

    ),

{% else %}

    new_rows as (

        select * from orders

    ),

{% endif %}

candidates as (

    select
        {%- for column in row_columns if column != 'load_id' %}
            new_rows.{{ column }},
        {%- endfor %}
        {{ rfm_load_id('new_rows.load_id') }} as load_id

    from new_rows

    {% if is_incremental() -%}
        union all

        select
            stored.order_id,
            stored.customer_id,
            stored.ordered_at_text,
            stored.order_total_text,
            stored.status,
            stored.currency,
            stored.refund_of_order_id,
            stored.ordered_at,
            {{ rfm_is_decimal_text('stored.order_total_text') }} as is_order_total_numeric,
            stored.order_total,
            stored.load_id

        from stored
        inner join affected_order_ids
            on stored.order_id = affected_order_ids.order_id
    {%- endif %}

),

repeated_order_ids as (

    -- almost every id has one row: the content comparison and the copy numbering run on the others only
    select order_id
    from candidates
    where order_id is not null
    group by order_id
    having count(*) > 1

),

repeated_rows as (

    select candidates.*
    from candidates
    inner join repeated_order_ids
        on candidates.order_id = repeated_order_ids.order_id

),

conflicting_order_ids as (

    {{ rfm_conflicting_keys('repeated_rows', 'order_id', content_columns) }}

),

numbered as (

    select
        candidates.*,
        1 as copy_number

    from candidates
    left join repeated_order_ids
        on candidates.order_id = repeated_order_ids.order_id
    where repeated_order_ids.order_id is null

    union all

    -- copies of a non-conflicting id are identical: the first loaded is kept (rows of a conflicting id are
    -- all rejected before the copy number is looked at)
    select
        repeated_rows.*,
        row_number() over (partition by repeated_rows.order_id order by repeated_rows.load_id) as copy_number

    from repeated_rows

),

checked as (

    select
        numbered.order_id,
        numbered.customer_id,
        numbered.ordered_at_text,
        numbered.ordered_at,
        cast(numbered.ordered_at as date) as ordered_date,
        numbered.order_total_text,
        numbered.order_total,
        numbered.status,
        numbered.currency,
        numbered.refund_of_order_id,
        numbered.load_id,
        numbered.refund_of_order_id is not null as is_refund,
        coalesce(order_statuses.is_purchase, numbered.status is null) as is_purchase_status,
        cast(
            round(
                numbered.order_total
                * case
                    when coalesce(numbered.currency, '{{ base_currency }}') = '{{ base_currency }}' then 1
                    else currency_rates.rate_to_base
                end,
                2
            ) as decimal(18, 2)
        ) as order_total_base,
        case
            when numbered.order_id is null then 'missing_order_id'
            when conflicting_order_ids.order_id is not null then 'conflicting_duplicate'
            when numbered.copy_number > 1 then 'duplicate_row'
            when numbered.customer_id is null then 'missing_customer_id'
            when numbered.ordered_at is null then 'unparseable_ordered_at'
            when not numbered.is_order_total_numeric then 'non_numeric_order_total'
            when
                numbered.order_total is null
                or abs(numbered.order_total) > {{ rfm_max_order_total() }}
                then 'absurd_order_total'
            when numbered.status is not null and order_statuses.status is null then 'unknown_status'
            when
                coalesce(numbered.currency, '{{ base_currency }}') <> '{{ base_currency }}'
                and currency_rates.currency_code is null
                then 'unknown_currency'
            when cast(numbered.ordered_at as date) > {{ rfm_today() }} then 'future_dated'
            when numbered.order_total < 0 and numbered.refund_of_order_id is null
                then 'negative_order_total'
            when numbered.order_total >= 0 and numbered.refund_of_order_id is not null
                then 'invalid_refund_amount'
        end as row_rejection_reason

    from numbered
    left join conflicting_order_ids
        on numbered.order_id = conflicting_order_ids.order_id
    left join order_statuses
        on numbered.status = order_statuses.status
    left join currency_rates
        on numbered.currency = currency_rates.currency_code

),

{% if is_incremental() -%}
    refunded_order_ids as (

        select distinct refund_of_order_id as order_id
        from checked
        where is_refund

    ),
{%- endif %}

refundable_order_ids as (

    select order_id
    from checked
    where row_rejection_reason is null and not is_refund

    {% if is_incremental() -%}
        union all

        -- accepted orders stored earlier and not validated again now, looked up for this run's refunds
        select stored.order_id
        from stored
        inner join refunded_order_ids
            on stored.order_id = refunded_order_ids.order_id
        left join affected_order_ids
            on stored.order_id = affected_order_ids.order_id
        where
            stored.rejection_reason is null
            and not stored.is_refund
            and affected_order_ids.order_id is null
    {%- endif %}

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
        end as rejection_reason,
        checked.load_id,
        {{ rfm_run_started_at() }} as validated_at,
        {{ rfm_order_rules_hash() }} as validation_rules_hash

    from checked
    left join refundable_order_ids
        on checked.refund_of_order_id = refundable_order_ids.order_id

)

select * from final
