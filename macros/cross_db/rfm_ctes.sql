{#- DuckDB materializes a CTE that a query reads more than once: it copies all the CTE's rows before the rest
    runs, which at 10M orders doubles a model's peak memory (docs/benchmarks.md, CTE materialization). Where
    the copy costs more than computing the CTE again, a model asks for it inlined. Other engines inline or
    decide by themselves: nothing to say. -#}

{% macro rfm_inlined_cte() %}
    {{ return(adapter.dispatch('rfm_inlined_cte', 'rfm')()) }}
{% endmacro %}

{% macro default__rfm_inlined_cte() %}{% endmacro %}

{% macro duckdb__rfm_inlined_cte() -%}
    not materialized
{%- endmacro %}
