{#- Tests that totals agree between models: no row or cent is lost or counted twice on the way. -#}

{% test equal_row_count(model, compare_model, compare_where=none) %}
    {#- compare_where: a condition on compare_model's rows, for a model that holds more than one grain -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                model.identifier ~ " has {} rows but " ~ compare_model.identifier ~ " has {}",
                ["counted.model_rows", "counted.compare_rows"]
            ) }} as failure_message
        from (
            select
                (select count(*) from {{ model }}) as model_rows,
                (
                    select count(*) from {{ compare_model }}
                    {%- if compare_where %} where {{ compare_where }}{% endif %}
                ) as compare_rows
        ) as counted
        where counted.model_rows <> counted.compare_rows
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "row counts differ") }}
{% endtest %}

{% test segment_totals_match(model, customers_model) %}
    {#- The segment rows add up to the scored customers and their revenue. -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "segments hold {} customers and {} revenue; " ~ customers_model.identifier ~ " has {} and {}",
                ["totals.segment_customers", "totals.segment_revenue", "totals.scored_customers", "totals.scored_revenue"]
            ) }} as failure_message
        from (
            select
                (select sum(customers) from {{ model }}) as segment_customers,
                (select coalesce(sum(revenue), 0) from {{ model }}) as segment_revenue,
                (select count(*) from {{ customers_model }}) as scored_customers,
                (select coalesce(sum(monetary), 0) from {{ customers_model }}) as scored_revenue
        ) as totals
        where
            totals.segment_customers <> totals.scored_customers
            or totals.segment_revenue <> totals.scored_revenue
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ " does not add up") }}
{% endtest %}

{% test raw_rows_reconcile(model) %}
    {#- Every raw row is valid, rejected or (a customer record) superseded by a later load of its id, and
        every cent of the amounts and of the orders' own refunded amounts is valid or rejected: raw = valid +
        rejected + superseded, per source, counted straight from the raw tables (the superseded records by
        this test's own reading of the latest-load rule). -#}
    {%- set orders = rfm_raw_columns_sql(rfm_input('orders'), 'orders') -%}
    {%- set customers = rfm_raw_columns_sql(rfm_input('customers'), 'customers') -%}
    {%- set failures_sql -%}
        with
        customer_loads as (
            select
                {{ rfm_clean_text(customers['customer_id']) }} as customer_id,
                {{ rfm_load_id('cast(' ~ customers['load_id'] ~ ' as bigint)') }} as load_id
            from {{ rfm_input('customers') }}
        ),
        raw_totals as (
            select
                'orders' as source,
                count(*) as rows_in,
                0 as rows_superseded,
                sum({{ rfm_parse_money(rfm_clean_text(orders['order_total'])) }}) as amount_in,
                sum({{ rfm_parse_money(rfm_clean_text(orders['refunded_amount'])) }}) as refunded_in
            from {{ rfm_input('orders') }}
            union all
            select
                'customers' as source,
                count(*) as rows_in,
                count(case when latest.load_id > customer_loads.load_id then 1 end) as rows_superseded,
                cast(null as decimal(18, 2)) as amount_in,
                cast(null as decimal(18, 2)) as refunded_in
            from customer_loads
            left join (
                select customer_id, max(load_id) as load_id
                from customer_loads
                group by customer_id
            ) as latest
                on customer_loads.customer_id = latest.customer_id
        ),
        compared as (
            select
                raw_totals.source,
                raw_totals.rows_in,
                raw_totals.rows_superseded,
                coalesce(summary.rows_valid, 0) + coalesce(summary.rows_rejected, 0)
                + coalesce(summary.rows_superseded, 0) as rows_accounted,
                coalesce(summary.rows_superseded, 0) as rows_superseded_accounted,
                coalesce(raw_totals.amount_in, 0) as amount_in,
                coalesce(summary.amount_valid, 0) + coalesce(summary.amount_rejected, 0) as amount_accounted,
                coalesce(raw_totals.refunded_in, 0) as refunded_in,
                coalesce(summary.refunded_amount_valid, 0) + coalesce(summary.refunded_amount_rejected, 0)
                    as refunded_accounted
            from raw_totals
            left join {{ model }} as summary
                on raw_totals.source = summary.source
        )
        select
            {{ rfm_sentence(
                "{}: {} raw rows ({} superseded by a later load), {} raw amount and {} raw refunded amount, but"
                ~ " valid + rejected + superseded = {} rows ({} superseded), {} amount and {} refunded amount",
                ["source", "rows_in", "rows_superseded", "amount_in", "refunded_in", "rows_accounted",
                 "rows_superseded_accounted", "amount_accounted", "refunded_accounted"]
            ) }} as failure_message
        from compared
        where
            rows_in <> rows_accounted
            or rows_superseded <> rows_superseded_accounted
            or amount_in <> amount_accounted
            or refunded_in <> refunded_accounted
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "raw rows do not reconcile with " ~ model.identifier) }}
{% endtest %}
