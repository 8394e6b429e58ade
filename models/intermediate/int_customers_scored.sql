{%- set levels = rfm_score_levels() -%}
{%- set tie_policy = rfm_tie_policy() -%}
{#- score prefix, metric, direction: the best customers sort last and land in bucket N -#}
{%- set metrics = [('r', 'recency_days', 'desc'), ('f', 'frequency', 'asc'), ('m', 'monetary', 'asc')] %}

with

customers as (

    select * from {{ ref('int_purchases_aggregated_to_customers') }}

),

split_scored as (

    select
        customers.*,
        {%- for score, metric, direction in metrics %}
            ntile({{ levels }}) over (
                order by customers.{{ metric }} {{ direction }}, {{ rfm_ordering_text('customers.customer_id') }} asc
            ) as {{ score }}_score_split,
        {%- endfor %}
        {{ levels }} as score_levels

    from customers

),

shared_scored as (

    select
        split_scored.*,
    {%- for score, metric, direction in metrics %}
        -- equal values share the lowest bucket any of them reached
        min({{ score }}_score_split) over (partition by {{ metric }}) as {{ score }}_score_shared
        {{- "," if not loop.last }}
    {%- endfor %}

    from split_scored

),

final as (

    select
        customer_id,
        as_of_date,
        first_order_date,
        last_order_date,
        recency_days,
        frequency,
        monetary,
        {%- for score, metric, direction in metrics %}
            {{ score }}_score_split,
            {{ score }}_score_shared,
            {{ score }}_score_{{ tie_policy }} as {{ score }}_score,
        {%- endfor %}
        score_levels,
        '{{ tie_policy }}' as tie_policy

    from shared_scored

)

select * from final
