{#- Expressions of the scoring rules (docs/rules.md), written once and used wherever a scoring date meets
    the netted purchases: int_customer_order_facts (today's as_of_date) and int_customer_period_facts (one
    scoring date per history period). -#}

{% macro rfm_is_valid_purchase_on(netted, as_of_date) -%}
    {#- True when a row of int_purchases_netted is a valid purchase on scoring date `as_of_date`: the row's
        net amount is the one in force then (only orders and refunds dated before the scoring date count),
        it is above zero, and the order is inside the scoring window (docs/rules.md sections 5 and 6). -#}
    (
        {{ netted }}.net_since_date < {{ as_of_date }}
        and ({{ netted }}.net_until_date is null or {{ as_of_date }} <= {{ netted }}.net_until_date)
        and {{ netted }}.net_total_base > 0
        and {{ rfm_in_scoring_window(netted ~ '.ordered_date', as_of_date) }}
    )
{%- endmacro %}

{% macro rfm_purchase_facts(purchases) -%}
    {#- The per-customer facts of valid purchases, for a `group by` of the customer (and scoring date). -#}
    min({{ purchases }}.ordered_date) as first_order_date,
    max({{ purchases }}.ordered_date) as last_order_date,
    -- an order id is on one valid purchase row per scoring date, so count(*) counts distinct orders
    count(*) as frequency,
    sum({{ purchases }}.net_total_base) as monetary
{%- endmacro %}

{% macro rfm_cell(alias) -%}
    {#- R, F and M scores as one string ('344'). -#}
    {{ dbt.concat([
        dbt.cast(alias ~ '.r_score', api.Column.translate_type('string')),
        dbt.cast(alias ~ '.f_score', api.Column.translate_type('string')),
        dbt.cast(alias ~ '.m_score', api.Column.translate_type('string')),
    ]) }}
{%- endmacro %}

{% macro rfm_hash_number(text) %}
    {{ return(adapter.dispatch('rfm_hash_number', 'rfm')(text)) }}
{% endmacro %}

{% macro default__rfm_hash_number(text) -%}
    {#- A whole number from the first 60 bits of the md5 of `text`: summed over rows, an order-independent
        digest of a set of rows that two different sets share only by a hash collision. -#}
    cast(('0x' || substr({{ dbt.hash(text) }}, 1, 15)) as bigint)
{%- endmacro %}

{% macro postgres__rfm_hash_number(text) -%}
    cast(cast('x0' || substr({{ dbt.hash(text) }}, 1, 15) as bit(64)) as bigint)
{%- endmacro %}

{% macro spark__rfm_hash_number(text) -%}
    cast(conv(substr({{ dbt.hash(text) }}, 1, 15), 16, 10) as bigint)
{%- endmacro %}
