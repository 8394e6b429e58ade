{#- Expressions of customer value (docs/retention.md), written once for customer_clv and rfm_segment_summary. -#}

{% macro rfm_tenure_months(first_order_date, as_of_date) -%}
    {#- Calendar months from the month of the first purchase to the month of the day before as_of_date, both
        counted (1 for a customer whose first purchase is in the scoring date's previous month or later). On
        month starts, so every engine's datediff gives the same whole number. -#}
    (
        {{ dbt.datediff(
            dbt.date_trunc('month', first_order_date),
            dbt.date_trunc('month', dbt.dateadd('day', -1, as_of_date)),
            'month'
        ) }} + 1
    )
{%- endmacro %}
