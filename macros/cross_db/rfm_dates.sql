{% macro rfm_date_spine(datepart, start_date, end_date) %}
    {{ return(adapter.dispatch('rfm_date_spine', 'rfm')(datepart, start_date, end_date)) }}
{% endmacro %}

{% macro default__rfm_date_spine(datepart, start_date, end_date) -%}
    {{ dbt.date_spine(datepart, start_date, end_date) }}
{%- endmacro %}

{% macro spark__rfm_date_spine(datepart, start_date, end_date) -%}
    {#- dbt.date_spine numbers its rows with a 15-way cross join, which Spark takes ~7 s to plan for 50 years of
        days; Spark has a generator. The same rows: start_date up to, not including, end_date. -#}
    select date_{{ datepart }}
    from (
        select explode(sequence({{ start_date }}, {{ end_date }}, interval 1 {{ datepart }})) as date_{{ datepart }}
    ) as spine
    where date_{{ datepart }} < {{ end_date }}
{%- endmacro %}
