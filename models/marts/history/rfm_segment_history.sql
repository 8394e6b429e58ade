{{ config(
    materialized='incremental',
    unique_key='period_start_date',
    incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
    partition_by=(['period_start_date'] if target.type == 'spark' else none),
    on_schema_change='fail',
) }}

{#- One row per customer and closed period, scored as customer_rfm would have been on the period's scoring
    date (as_of_date = the first day of the next period), from the orders and refunds dated up to it.
    The scoring steps are the macros the intermediate models use (macros/rfm_scoring.sql). Incremental:
    only the periods missing from the table, or whose inputs changed since they were stored (input_signature:
    a reload of the raw data, a new merge, another segment map or scoring setting), are scored; each is
    written whole (the incremental key is the period). -#}
{%- set grain = rfm_history_grain() -%}
{%- set tie_policy = rfm_tie_policy() -%}
{#- the signature depends on the period only, so it partitions exactly like the period -#}
{%- set window_keys = ['period_start_date', 'input_signature'] -%}
{%- set text_type = api.Column.translate_type('string') -%}

{%- if execute and is_incremental() -%}
    {%- set stored_grains = run_query('select distinct period_grain from ' ~ this).columns[0].values() -%}
    {%- for stored_grain in stored_grains if stored_grain != grain -%}
        {{ exceptions.raise_compiler_error(
            "rfm_segment_history holds " ~ stored_grain ~ " periods but var rfm_history_grain is " ~ grain
            ~ ": rebuild it with dbt build --full-refresh --select rfm_segment_history+"
        ) }}
    {%- endfor -%}
{%- endif %}

with

orders as (

    select * from {{ ref('rfm', 'int_orders_validated') }}
    where rejection_reason is null

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

as_of_dates as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

segment_map as (

    select * from {{ rfm_seed('rfm_segment_map') }}

),

{{ rfm_history_periods_ctes('as_of_dates') }},

order_days as (

    -- what the scores of a period depend on, per order date: rows, purchase statuses, amounts, customers
    select
        orders.ordered_date,
        count(*) as order_rows,
        sum(case when orders.is_purchase_status then 1 else 0 end) as purchase_status_rows,
        sum(orders.order_total_base) as amount,
        sum({{ dbt.length('orders.customer_id') }}) as customer_id_length

    from orders
    group by orders.ordered_date

),

period_orders as (

    select
        periods_in_range.period_start_date,
        periods_in_range.as_of_date,
        count(order_days.ordered_date) as order_days,
        sum(order_days.order_rows) as order_rows,
        sum(order_days.purchase_status_rows) as purchase_status_rows,
        sum(order_days.amount) as amount,
        sum(order_days.customer_id_length) as customer_id_length,
        sum(
            order_days.order_rows * {{ dbt.datediff("cast('2000-01-01' as date)", 'order_days.ordered_date', 'day') }}
        ) as order_day_sum

    from periods_in_range
    left join order_days
        on periods_in_range.as_of_date >= order_days.ordered_date
    group by periods_in_range.period_start_date, periods_in_range.as_of_date

),

merge_map_state as (

    select
        count(*) as mapped_ids,
        sum(case when customer_ids.is_merged then 1 else 0 end) as merged_ids,
        sum({{ dbt.length('customer_ids.merged_into_customer_id') }}) as survivor_id_length

    from customer_ids

),

segment_map_state as (

    select
        {{ dbt.listagg(
            dbt.concat([rfm_cell('segment_map'), "':'", 'segment_map.segment_code']),
            "','",
            'order by segment_map.r_score, segment_map.f_score, segment_map.m_score',
        ) }} as segment_map_text

    from segment_map

),

period_signatures as (

    select
        period_orders.period_start_date,
        period_orders.as_of_date,
        {{ dbt.hash(dbt.concat([
            "'" ~ grain ~ "|" ~ rfm_score_levels() ~ "|" ~ tie_policy ~ "|'",
            "coalesce(" ~ dbt.cast('period_orders.order_days', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('period_orders.order_rows', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('period_orders.purchase_status_rows', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('period_orders.amount', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('period_orders.customer_id_length', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('period_orders.order_day_sum', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('merge_map_state.mapped_ids', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('merge_map_state.merged_ids', text_type) ~ ", '')", "'|'",
            "coalesce(" ~ dbt.cast('merge_map_state.survivor_id_length', text_type) ~ ", '')", "'|'",
            "coalesce(segment_map_state.segment_map_text, '')",
        ])) }} as input_signature

    from period_orders
    cross join merge_map_state
    cross join segment_map_state

),

stored_periods as (

    -- stored periods whose inputs are unchanged are never scored again
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

    select
        period_signatures.period_start_date,
        period_signatures.as_of_date,
        period_signatures.input_signature

    from period_signatures
    left join stored_periods
        on
            period_signatures.period_start_date = stored_periods.period_start_date
            and period_signatures.input_signature = stored_periods.input_signature
    where stored_periods.period_start_date is null

),

{{ rfm_netted_purchases_ctes('orders', 'scoring_windows', 'customer_ids', window_keys) }},

purchases as (

    select * from netted
    where net_total_base > 0

),

{{ rfm_customer_metrics_ctes('purchases', 'scoring_windows', window_keys) }},

{{ rfm_scores_ctes('customer_metrics', window_keys) }},

scored as (

    select
        customer_id,
        '{{ grain }}' as period_grain,
        period_start_date,
        as_of_date,
        first_order_date,
        last_order_date,
        recency_days,
        frequency,
        monetary,
        cast(r_score_{{ tie_policy }} as integer) as r_score,
        cast(f_score_{{ tie_policy }} as integer) as f_score,
        cast(m_score_{{ tie_policy }} as integer) as m_score,
        input_signature

    from shared_scored

),

final as (

    select
        scored.*,
        {{ rfm_cell('scored') }} as rfm_cell,
        segment_map.segment_code

    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score
            and scored.m_score = segment_map.m_score

)

{#- the contract's text type: an incremental run checks its new rows' types against the table's, and
    PostgreSQL types a text expression as text, not the varchar of the contract -#}
{%- set contract_text = 'string' if target.type == 'spark' else 'varchar' %}
select
    cast(customer_id as {{ contract_text }}) as customer_id,
    cast(period_grain as {{ contract_text }}) as period_grain,
    period_start_date,
    as_of_date,
    first_order_date,
    last_order_date,
    recency_days,
    frequency,
    monetary,
    r_score,
    f_score,
    m_score,
    cast(rfm_cell as {{ contract_text }}) as rfm_cell,
    segment_code,
    cast(input_signature as {{ contract_text }}) as input_signature
from final
