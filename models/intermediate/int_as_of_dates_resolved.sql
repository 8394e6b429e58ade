{{ config(materialized='table') }}
{%- set explicit_as_of_date = rfm_as_of_date_literal() %}

with

orders as (

    select * from {{ ref('rfm', 'int_orders_validated') }}

),

latest_purchase as (

    -- future-dated orders are rejects, so a clock bug in the export cannot move the default
    select max(ordered_date) as latest_purchase_date
    from orders
    where
        rejection_reason is null
        and not is_refund
        and is_purchase_status
        and order_total > 0

),

final as (

    select
        {% if explicit_as_of_date is none -%}
            cast({{ dbt.dateadd('day', 1, 'latest_purchase_date') }} as date)
        {%- else -%}
            {{ explicit_as_of_date }}
        {%- endif %} as as_of_date,
        {{ rfm_today() }} as build_date,
        {{ 'false' if explicit_as_of_date is none else 'true' }} as is_as_of_date_explicit

    from latest_purchase

)

select * from final
