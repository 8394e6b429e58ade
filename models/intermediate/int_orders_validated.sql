{#- Incremental (docs/incremental.md): a daily run validates the rows loaded since the last run, together
    with the stored rows their rules depend on (the other rows of their order ids, and the refunds of
    those orders). dbt-spark offers delete+insert on Delta tables only; the project writes Parquet there. -#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
    pre_hook="{{ rfm_validated_rows_reset('stg_raw__orders', rfm_order_rules_hash()) }}",
) }}

{%- set content_columns = [
    'order_id', 'customer_id', 'ordered_at_text', 'order_total_text', 'status', 'currency', 'refund_of_order_id',
    'refunded_amount_text',
] -%}
{%- set base_currency = rfm_base_currency() -%}
{%- do rfm_require_stored_columns(['load_id', 'validated_at', 'validation_rules_hash', 'refunded_amount_base']) %}
{#- A full build reads most CTEs below twice, and DuckDB would copy every order row each time: inlined, the
    build's peak memory halves at 10M orders (4.6 -> 2.4 GiB) for about 3 % more time. A daily run reads few
    rows, and inlined its query was 14 times slower (docs/benchmarks.md, CTE materialization). -#}
{%- set inlined = '' if is_incremental() else rfm_inlined_cte() %}

with

orders as {{ inlined }} (

    select * from {{ ref('rfm', 'stg_raw__orders') }}

),

order_statuses as {{ inlined }} (

    select * from {{ rfm_seed('order_statuses') }}

),

currency_rates as {{ inlined }} (

    select * from {{ rfm_seed('currency_rates') }}

),

rules as {{ inlined }} (

    -- one row: computed once, not per order row
    select {{ rfm_order_rules_hash() }} as validation_rules_hash

),

{% if is_incremental() %}

    {#- The stored rows are read where they are used, not through a CTE: read more than once, DuckDB would
        copy all of them first (3.7 of 4.0 s of this model in a run with nothing new, at 10M orders). -#}
    new_rows as (

        -- loaded since the last run (every row, after the pre-hook emptied the table)
        select orders.*
        from orders
        where
            {{ rfm_load_id('orders.load_id') }}
            > (select coalesce(max(stored_orders.load_id), -1) from {{ this }} as stored_orders)

    ),

    changed_order_ids as (

        select order_id from new_rows
        where order_id is not null

        union

        -- future-dated now, or on the last run: today moves
        select order_id from {{ this }} as stored_orders
        where stored_orders.rejection_reason = 'future_dated' or stored_orders.ordered_date > {{ rfm_today() }}

    ),

    affected_order_ids as (

        select order_id from changed_order_ids

        union

        -- whether a refund is an orphan depends on its order
        select stored_orders.order_id
        from {{ this }} as stored_orders
        inner join changed_order_ids
            on stored_orders.refund_of_order_id = changed_order_ids.order_id

    ),

{% else %}

    new_rows as {{ inlined }} (

        select * from orders

    ),

{% endif %}

candidates as {{ inlined }} (

    select
        {%- for column in content_columns %}
            new_rows.{{ column }},
        {%- endfor %}
        {{ rfm_load_id('new_rows.load_id') }} as load_id

    from new_rows

    {% if is_incremental() -%}
        union all

        select
            {%- for column in content_columns %}
                stored_orders.{{ column }},
            {%- endfor %}
            stored_orders.load_id

        from {{ this }} as stored_orders
        inner join affected_order_ids
            on stored_orders.order_id = affected_order_ids.order_id
    {%- endif %}

),

repeated_order_ids as {{ inlined }} (

    -- almost every id is on one row: a group-by finds the few repeated ones, so that the copy numbering and
    -- the content comparison below only ever see the rows of those ids (a window over every row costs
    -- several times more)
    select order_id
    from candidates
    where order_id is not null
    group by order_id
    having count(*) > 1

),

single_rows as {{ inlined }} (

    -- rows whose id is on no other row (or is missing): each is the only copy of itself
    select
        candidates.*,
        1 as copy_number

    from candidates
    left join repeated_order_ids
        on candidates.order_id = repeated_order_ids.order_id
    where repeated_order_ids.order_id is null

),

repeated_rows as (

    -- not inlined: few rows, read by the numbering, the content comparison and both sets of checks below, and
    -- each reading would tidy every order row again to find them
    select candidates.*
    from candidates
    inner join repeated_order_ids
        on candidates.order_id = repeated_order_ids.order_id

),

repeated_rows_numbered as {{ inlined }} (

    -- copies of a non-conflicting id are identical: the first loaded is kept (rows of a conflicting id are
    -- all rejected before the copy number is looked at)
    select
        repeated_rows.*,
        row_number() over (partition by repeated_rows.order_id order by repeated_rows.load_id) as copy_number

    from repeated_rows

),

conflicting_order_ids as {{ inlined }} (

    {{ rfm_conflicting_keys('repeated_rows', 'order_id', content_columns) }}

),

rows_numbered as {{ inlined }} (

    select * from single_rows
    union all
    select * from repeated_rows_numbered

),

refunded_order_ids as {{ inlined }} (

    select distinct refund_of_order_id as order_id
    from candidates
    where refund_of_order_id is not null

),

rows_to_check as {{ inlined }} (

    -- every row, and a second time the rows of the refunded orders: whether a refund is an orphan depends on
    -- theirs. Each reader of the checks keeps one of the two sets, so a full build parses every row once and
    -- those few twice (not every row twice: the parsing below is most of the checks' time)
    select
        rows_numbered.*,
        false as is_refunded_order_copy

    from rows_numbered

    union all

    select
        rows_numbered.*,
        true as is_refunded_order_copy

    from rows_numbered
    inner join refunded_order_ids
        on rows_numbered.order_id = refunded_order_ids.order_id

),

parsed as {{ inlined }} (

    -- strictly, as docs/rules.md section 2 says
    select
        rows_to_check.*,
        {{ rfm_parse_timestamp('rows_to_check.ordered_at_text') }} as ordered_at,
        {{ rfm_is_decimal_text('rows_to_check.order_total_text') }} as is_order_total_numeric,
        {{ rfm_parse_money('rows_to_check.order_total_text') }} as order_total,
        {{ rfm_parse_money('rows_to_check.refunded_amount_text') }} as refunded_amount

    from rows_to_check

),

checked as {{ inlined }} (

    select
        parsed.order_id,
        parsed.customer_id,
        parsed.ordered_at_text,
        parsed.ordered_at,
        cast(parsed.ordered_at as date) as ordered_date,
        parsed.order_total_text,
        parsed.order_total,
        parsed.status,
        parsed.currency,
        parsed.refund_of_order_id,
        parsed.refunded_amount_text,
        parsed.refunded_amount,
        parsed.load_id,
        parsed.refund_of_order_id is not null as is_refund,
        coalesce(order_statuses.is_purchase, parsed.status is null) as is_purchase_status,
        {%- for name, amount in [
            ('order_total', 'parsed.order_total'),
            ('refunded_amount', 'coalesce(parsed.refunded_amount, 0.00)'),
        ] %}
            -- both converted alike, so that an order-level refund nets exactly like a refund row (an amount in
            -- the base currency as it is: the product with 1 would round it to itself); widened before the
            -- product: a large amount (rejected as absurd below) times a rate would overflow an 18-digit
            -- product on DuckDB and stop the build. The rate is cast as the package's seed types it: a host's
            -- replacement seed (docs/package.md) may hold it as a double, which rounds half-cents down
            case
                when coalesce(parsed.currency, '{{ base_currency }}') = '{{ base_currency }}'
                    then cast({{ amount }} as decimal(18, 2))
                else cast(
                    round(
                        cast({{ amount }} as decimal(38, 2)) * cast(currency_rates.rate_to_base as decimal(18, 6)),
                        2
                    ) as decimal(18, 2)
                )
            end as {{ name }}_base,
        {%- endfor %}
        case
            when parsed.order_id is null then 'missing_order_id'
            when conflicting_order_ids.order_id is not null then 'conflicting_duplicate'
            when parsed.copy_number > 1 then 'duplicate_row'
            when parsed.customer_id is null then 'missing_customer_id'
            when parsed.ordered_at is null then 'unparseable_ordered_at'
            when not parsed.is_order_total_numeric then 'non_numeric_order_total'
            when
                parsed.order_total is null
                or abs(parsed.order_total) > {{ rfm_max_order_total() }}
                then 'absurd_order_total'
            when parsed.status is not null and order_statuses.status is null then 'unknown_status'
            when
                coalesce(parsed.currency, '{{ base_currency }}') <> '{{ base_currency }}'
                and currency_rates.currency_code is null
                then 'unknown_currency'
            when cast(parsed.ordered_at as date) > {{ rfm_today() }} then 'future_dated'
            when parsed.order_total < 0 and parsed.refund_of_order_id is null
                then 'negative_order_total'
            when parsed.order_total >= 0 and parsed.refund_of_order_id is not null
                then 'invalid_refund_amount'
            when
                parsed.refunded_amount_text is not null
                and (
                    parsed.refunded_amount is null
                    or parsed.refunded_amount < 0
                    or parsed.refunded_amount > parsed.order_total
                )
                then 'invalid_refunded_amount'
        end as row_rejection_reason,
        parsed.is_refunded_order_copy

    from parsed
    left join conflicting_order_ids
        on parsed.order_id = conflicting_order_ids.order_id
    left join order_statuses
        on parsed.status = order_statuses.status
    left join currency_rates
        on parsed.currency = currency_rates.currency_code

),

refundable_order_ids as {{ inlined }} (

    -- the accepted orders among those refunded
    select order_id
    from checked
    where is_refunded_order_copy and row_rejection_reason is null and not is_refund

    {% if is_incremental() -%}
        union all

        -- accepted orders stored earlier and not validated again now
        select stored_orders.order_id
        from {{ this }} as stored_orders
        inner join refunded_order_ids
            on stored_orders.order_id = refunded_order_ids.order_id
        left join affected_order_ids
            on stored_orders.order_id = affected_order_ids.order_id
        where
            stored_orders.rejection_reason is null
            and not stored_orders.is_refund
            and affected_order_ids.order_id is null
    {%- endif %}

),

final as {{ inlined }} (

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
        checked.refunded_amount_text,
        checked.refunded_amount,
        checked.refunded_amount_base,
        checked.is_refund,
        checked.is_purchase_status,
        case
            when checked.row_rejection_reason is not null then checked.row_rejection_reason
            when checked.is_refund and refundable_order_ids.order_id is null then 'orphan_refund'
        end as rejection_reason,
        checked.load_id,
        {{ rfm_run_started_at() }} as validated_at,
        rules.validation_rules_hash

    from checked
    cross join rules
    left join refundable_order_ids
        on checked.refund_of_order_id = refundable_order_ids.order_id
    where not checked.is_refunded_order_copy

)

select * from final
