{#- Building blocks shared by the orders and customers validation models. -#}

{% macro rfm_conflicting_keys(relation, key, columns) -%}
    {#- Keys that appear with more than one distinct content. -#}
    select contents.{{ key }}
    from (
        select distinct {{ columns | join(', ') }}
        from {{ relation }}
        where {{ key }} is not null
    ) as contents
    group by contents.{{ key }}
    having count(*) > 1
{%- endmacro %}

{% macro rfm_key_value_text(columns) -%}
    {#- 'a=1 | b=<null>': the row as it arrived (trimmed), for people reading the rejects. -#}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("'" ~ ('' if loop.first else ' | ') ~ column | replace('_text', '') ~ "='") -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '<null>')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{% macro rfm_reject_reasons(source_name) %}
    {#- Every reason code, in the order the rules apply (docs/rules.md, section 3). -#}
    {%- set reasons = {
        'orders': [
            'missing_order_id', 'conflicting_duplicate', 'duplicate_row', 'missing_customer_id',
            'unparseable_ordered_at', 'non_numeric_order_total', 'absurd_order_total', 'unknown_status',
            'unknown_currency', 'future_dated', 'negative_order_total', 'invalid_refund_amount',
            'invalid_refunded_amount', 'orphan_refund',
        ],
        'customers': [
            'missing_customer_id', 'conflicting_duplicate', 'duplicate_row', 'unparseable_created_at',
        ],
    } -%}
    {{ return(reasons[source_name]) }}
{% endmacro %}

{% macro rfm_ordering_text(expr) %}
    {{ return(adapter.dispatch('rfm_ordering_text', 'rfm')(expr)) }}
{% endmacro %}

{% macro default__rfm_ordering_text(expr) -%}
    {#- Ties in NTILE windows are broken by id in byte order, the same on every engine. -#}
    {{ expr }}
{%- endmacro %}

{% macro postgres__rfm_ordering_text(expr) -%}
    {{ expr }} collate "C"
{%- endmacro %}

{% macro rfm_reason_counts(model, source_name) -%}
    {#- One row: rows_in, rows_rejected and one count per reason code of `source_name`, over a validated
        model (a query, for the data-quality tests). -#}
    select
        count(*) as rows_in,
        count(rejection_reason) as rows_rejected,
        {%- for reason in rfm_reject_reasons(source_name) %}
            count(case when rejection_reason = '{{ reason }}' then 1 end) as {{ reason }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
{%- endmacro %}

{% macro rfm_reason_counts_text(alias, source_name) -%}
    {#- ' unknown_currency=61 unparseable_ordered_at=3' from the counts of rfm_reason_counts: the reasons
        that occur, in rule order. -#}
    {%- set parts = [] -%}
    {%- for reason in rfm_reject_reasons(source_name) -%}
        {%- do parts.append(
            "case when " ~ alias ~ "." ~ reason ~ " > 0 then "
            ~ dbt.concat(["' " ~ reason ~ "='", dbt.cast(alias ~ "." ~ reason, api.Column.translate_type('string'))])
            ~ " else '' end"
        ) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
