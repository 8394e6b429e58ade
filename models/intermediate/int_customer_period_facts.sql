{#- Per history period and exported customer id (before merging by email), the facts of the valid
    purchases on the period's scoring date: the same rows and expressions as int_customer_order_facts, with
    one scoring date per period. Incremental by period (docs/history.md): a period is computed again only
    when its input_signature changed, and then whole. -#}
{{ config(
    materialized='incremental',
    unique_key='period_start_date',
    incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
    partition_by=(['period_start_date'] if target.type == 'spark' else none),
    on_schema_change='fail',
) }}
{%- set text_type = api.Column.translate_type('string') -%}
{#- var rfm_history_start 0: no period, so no order row is read (a join with no period still scans them all) -#}
{%- set reads_orders = rfm_history_start() != {'periods': 0} -%}
{%- do rfm_require_stored_columns(['input_signature']) %}

with

orders as (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where rejection_reason is null

),

netted as (

    select * from {{ ref('rfm', 'int_purchases_netted') }}

),

periods as (

    select * from {{ ref('rfm', 'int_history_periods_listed') }}

),

order_rows as (

    -- each accepted row's content as the netting reads it; free text as length:value, so that no two
    -- different rows write the same text
    select
        ordered_date,
        {{ dbt.concat([
            dbt.cast(dbt.length('order_id'), text_type), "':'", 'order_id', "'|'",
            dbt.cast(dbt.length('customer_id'), text_type), "':'", 'customer_id', "'|'",
            "coalesce(" ~ dbt.cast(dbt.length('refund_of_order_id'), text_type) ~ ", '-')", "':'",
            "coalesce(refund_of_order_id, '')", "'|'",
            dbt.cast('ordered_date', text_type), "'|'",
            dbt.cast('order_total_base', text_type), "'|'",
            dbt.cast('refunded_amount_base', text_type), "'|'",
            dbt.cast('is_refund', text_type), "'|'",
            dbt.cast('is_purchase_status', text_type),
        ]) }} as row_content

    from orders
    -- only rows some period's scoring date reads are hashed: none at all without periods
    where {% if reads_orders %}ordered_date < (select max(periods.as_of_date) from periods){% else %}1 = 0{% endif %}

),

order_days as (

    -- per order date, an order-independent digest of its rows: their number and the sum of each row's
    -- content hash (60 bits of md5; decimal, so that the sum of any number of rows is exact)
    select
        ordered_date,
        count(*) as order_rows,
        sum(cast({{ rfm_hash_number('row_content') }} as decimal(38, 0))) as row_hash_sum

    from order_rows
    group by ordered_date

),

period_signatures as (

    -- a period's facts depend on exactly the accepted rows dated before its scoring date, and on the
    -- scoring window that selects among them
    select
        periods.period_start_date,
        periods.as_of_date,
        {{ dbt.hash(dbt.concat([
            "'" ~ rfm_scoring_window_text() ~ "|'",
            dbt.cast('periods.as_of_date', text_type), "'|'",
            "coalesce(" ~ dbt.cast('sum(order_days.order_rows)', text_type) ~ ", '0')", "'|'",
            "coalesce(" ~ dbt.cast('sum(order_days.row_hash_sum)', text_type) ~ ", '0')",
        ])) }} as input_signature

    from periods
    left join order_days
        on periods.as_of_date > order_days.ordered_date
    group by periods.period_start_date, periods.as_of_date

),

stored_periods as (

    {% if is_incremental() -%}
        select distinct
            period_start_date,
            input_signature
        from {{ this }}
    {%- else -%}
        select
            cast(null as date) as period_start_date,
            cast(null as {{ text_type }}) as input_signature
    {%- endif %}

),

scoring_windows as (

    -- periods never stored, or stored from other inputs
    select period_signatures.*
    from period_signatures
    left join stored_periods
        on
            period_signatures.period_start_date = stored_periods.period_start_date
            and period_signatures.input_signature = stored_periods.input_signature
    where stored_periods.period_start_date is null

),

valid_purchases as (

    select
        scoring_windows.period_start_date,
        netted.customer_id,
        netted.ordered_date,
        netted.net_total_base

    from scoring_windows
    inner join netted
        on {{ rfm_is_valid_purchase_on('netted', 'scoring_windows.as_of_date') }}
    {%- if not reads_orders %}
    where 1 = 0
    {%- endif %}

),

purchase_facts as (

    select
        valid_purchases.period_start_date,
        valid_purchases.customer_id,
        {{ rfm_purchase_facts('valid_purchases') }}

    from valid_purchases
    group by valid_purchases.period_start_date, valid_purchases.customer_id

),

final as (

    -- one row per computed period without a customer records its signature, empty periods included:
    -- delete+insert replaces only the periods a run writes rows for
    select
        scoring_windows.period_start_date,
        scoring_windows.as_of_date,
        purchase_facts.customer_id,
        purchase_facts.first_order_date,
        purchase_facts.last_order_date,
        cast(purchase_facts.frequency as integer) as frequency,
        cast(purchase_facts.monetary as decimal(38, 2)) as monetary,
        cast(scoring_windows.input_signature as {{ text_type }}) as input_signature

    from scoring_windows
    inner join purchase_facts
        on scoring_windows.period_start_date = purchase_facts.period_start_date

    union all

    select
        period_start_date,
        as_of_date,
        cast(null as {{ text_type }}) as customer_id,
        cast(null as date) as first_order_date,
        cast(null as date) as last_order_date,
        cast(0 as integer) as frequency,
        cast(0.00 as decimal(38, 2)) as monetary,
        cast(input_signature as {{ text_type }}) as input_signature

    from scoring_windows

)

select * from final
