{#- An aggregate's value on the row that comes first in an order, without joining the group's minimum back to
    its rows: DuckDB's arg_min, Spark's min_by, and elsewhere the first of the values in that order (PostgreSQL
    has neither). For an order without ties within a group. -#}

{% macro rfm_value_at_min(value, order_by) %}
    {{ return(adapter.dispatch('rfm_value_at_min', 'rfm')(value, order_by)) }}
{% endmacro %}

{% macro default__rfm_value_at_min(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by }}))[1]
{%- endmacro %}

{% macro duckdb__rfm_value_at_min(value, order_by) -%}
    arg_min({{ value }}, {{ order_by }})
{%- endmacro %}

{% macro spark__rfm_value_at_min(value, order_by) -%}
    min_by({{ value }}, {{ order_by }})
{%- endmacro %}
