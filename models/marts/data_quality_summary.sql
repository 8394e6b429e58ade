{%- set sources = {
    'orders': {'model': 'int_orders_validated', 'amount': 'order_total', 'refunded': 'refunded_amount'},
    'customers': {'model': 'int_customers_validated', 'amount': none, 'refunded': none},
} -%}
{%- set all_reasons = (rfm_reject_reasons('orders') + rfm_reject_reasons('customers')) | unique | list %}

with

{% for source_name, spec in sources.items() %}
    {{ source_name }}_checked as (

        select * from {{ ref('rfm', spec.model) }}

    ),

{% endfor -%}

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

orders_without_customer as (

    -- late-arriving customers: their orders are scored, but someone should chase the customer record
    select
        count(*) as orders_without_customer,
        count(distinct orders_checked.customer_id) as customers_missing

    from orders_checked
    left join customer_ids
        on orders_checked.customer_id = customer_ids.customer_id
    where orders_checked.rejection_reason is null and customer_ids.customer_id is null

),

superseded as (

    -- raw customer records that a later load of their id replaced (the latest load wins): not validated,
    -- but accounted for; a later copy of an order id is a duplicate or a conflict, never a replacement
    select
        'customers' as source,
        (select count(*) from {{ ref('rfm', 'stg_raw__customers') }}) - count(*) as rows_superseded

    from customers_checked

    union all

    select
        'orders' as source,
        cast(0 as bigint) as rows_superseded

),

merged_customers as (

    select count(*) as customers_merged
    from customer_ids
    where is_merged

),

per_source as (

    {% for source_name, spec in sources.items() %}
        {%- set amount = spec.amount or 'cast(null as decimal(18, 2))' %}
        {%- set refunded = spec.refunded or 'cast(null as decimal(18, 2))' %}
        select
            '{{ source_name }}' as source,
            count(*) as rows_validated,
            count(case when rejection_reason is null then 1 end) as rows_valid,
            count(rejection_reason) as rows_rejected,
            {%- for reason in all_reasons %}
                count(case when rejection_reason = '{{ reason }}' then 1 end) as rejected_{{ reason }},
            {%- endfor %}
            cast(sum({{ amount }}) as decimal(38, 2)) as amount_in,
            cast(sum(case when rejection_reason is null then {{ amount }} end) as decimal(38, 2)) as amount_valid,
            cast(sum(case when rejection_reason is not null then {{ amount }} end) as decimal(38, 2))
                as amount_rejected,
            cast(sum({{ refunded }}) as decimal(38, 2)) as refunded_amount_in,
            cast(sum(case when rejection_reason is null then {{ refunded }} end) as decimal(38, 2))
                as refunded_amount_valid,
            cast(sum(case when rejection_reason is not null then {{ refunded }} end) as decimal(38, 2))
                as refunded_amount_rejected

        from {{ source_name }}_checked
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        per_source.*,
        superseded.rows_superseded,
        per_source.rows_validated + superseded.rows_superseded as rows_in,
        case when per_source.source = 'orders' then orders_without_customer.orders_without_customer end
            as orders_without_customer,
        case when per_source.source = 'orders' then orders_without_customer.customers_missing end
            as customers_missing,
        case when per_source.source = 'customers' then merged_customers.customers_merged end
            as customers_merged

    from per_source
    inner join superseded
        on per_source.source = superseded.source
    cross join orders_without_customer
    cross join merged_customers

)

select
    source,
    rows_in,
    rows_valid,
    rows_rejected,
    rows_superseded,
    {%- for reason in all_reasons %}
        rejected_{{ reason }},
    {%- endfor %}
    amount_in,
    amount_valid,
    amount_rejected,
    refunded_amount_in,
    refunded_amount_valid,
    refunded_amount_rejected,
    orders_without_customer,
    customers_missing,
    customers_merged
from final
