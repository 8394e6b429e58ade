{{ config(materialized='table') }}
{%- set tie_policy = rfm_tie_policy() -%}
{#- scoring steps: macros/rfm_scoring.sql (shared with rfm_segment_history) -#}
{%- set metrics = ['r', 'f', 'm'] %}

with

customers as (

    select * from {{ ref('rfm', 'int_purchases_aggregated_to_customers') }}

),

{{ rfm_scores_ctes('customers') }},

final as (

    select
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        recency_days,
        frequency,
        monetary,
        {%- for score in metrics %}
            {{ score }}_score_split,
            {{ score }}_score_shared,
            {{ score }}_score_{{ tie_policy }} as {{ score }}_score,
        {%- endfor %}
        score_levels,
        '{{ tie_policy }}' as tie_policy

    from shared_scored

)

select * from final
