{#- Exact arithmetic that gives the same digits on every engine. DuckDB divides and averages decimals in
    floating point (5.35 / 2 is 2.67499999..., which rounds to 2.67), PostgreSQL and Spark in decimal: a
    quotient is therefore computed with whole numbers and integer division only. -#}

{% macro rfm_integer_divide(numerator, denominator) %}
    {{ return(adapter.dispatch('rfm_integer_divide', 'rfm')(numerator, denominator)) }}
{% endmacro %}

{% macro default__rfm_integer_divide(numerator, denominator) -%}
    {#- PostgreSQL: `/` between integers truncates. -#}
    ({{ numerator }}) / ({{ denominator }})
{%- endmacro %}

{% macro duckdb__rfm_integer_divide(numerator, denominator) -%}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}

{% macro spark__rfm_integer_divide(numerator, denominator) -%}
    ({{ numerator }}) div ({{ denominator }})
{%- endmacro %}

{% macro rfm_exact_ratio(numerator, denominator, scale) -%}
    {#- numerator / denominator rounded half up to `scale` decimals, as decimal(38, scale), for whole numbers
        numerator >= 0 and denominator (null when the denominator is 0 or null). Rounding adds half the
        denominator before the integer division: q = (2 n 10^scale + d) div 2 d, the result is q / 10^scale.
        Exact while 2 x numerator x 10^scale fits a bigint (9.2 x 10^18): shares of up to 4 x 10^14 cents. -#}
    {%- set numerator_bigint = 'cast(' ~ numerator ~ ' as bigint)' -%}
    {%- set denominator_bigint = 'nullif(cast(' ~ denominator ~ ' as bigint), 0)' -%}
    {%- set unit = '1' if scale == 0 else '0.' ~ '0' * (scale - 1) ~ '1' -%}
    cast(
        cast(
            {{ rfm_integer_divide(
                '2 * ' ~ numerator_bigint ~ ' * ' ~ 10 ** scale ~ ' + ' ~ denominator_bigint,
                '2 * ' ~ denominator_bigint
            ) }} as decimal(38, 0)
        ) * {{ unit }} as decimal(38, {{ scale }})
    )
{%- endmacro %}
