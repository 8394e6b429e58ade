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

{% macro rfm_clv_horizon_months() %}
    {#- Months ahead that expected purchases and predicted CLV cover (var rfm_clv_horizon_months); at most
        36; the test clv_series_converged checks that the series converged there (docs/retention.md). -#}
    {{ return(rfm_int_var('rfm_clv_horizon_months', 1, 36)) }}
{% endmacro %}

{% macro rfm_clv_series_terms() %}
    {#- Most terms of the Gauss hypergeometric series summed per (x, T) and horizon month (fewer where a bound
        says they suffice). -#}
    {{ return(300) }}
{% endmacro %}

{% macro rfm_clv_max_parameter_age_days() %}
    {#- Days the CLV parameters' calibration end may lie before as_of_date before a test warns. -#}
    {{ return(rfm_int_var('rfm_clv_max_parameter_age_days', 0, 3650)) }}
{% endmacro %}

{% macro rfm_type_double() %}
    {#- The 8-byte floating-point type: `float` is 4 bytes on DuckDB and Spark. -#}
    {{ return('double precision' if target.type == 'postgres' else 'double') }}
{% endmacro %}

{% macro rfm_bounded_exp(expression) -%}
    {#- exp() that neither underflows nor overflows (PostgreSQL raises on both): 0 below e^-700, e^700 above
        it; both are beyond what changes a probability or a count at 1e-300. -#}
    case when {{ expression }} < -700 then 0 else exp(least({{ expression }}, 700)) end
{%- endmacro %}
