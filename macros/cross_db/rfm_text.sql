{#- Text parsing that behaves the same on every engine: values are checked with a regular expression
    (and a calendar check for dates) before they are cast, so a cast never fails and no engine's lenient
    parsing (exponents, time zones, '2024-02-30') decides what is valid. Patterns avoid backslashes,
    which Spark string literals would eat. -#}

{% macro rfm_regexp_like(expr, pattern) %}
    {{ return(adapter.dispatch('rfm_regexp_like', 'rfm')(expr, pattern)) }}
{% endmacro %}

{% macro default__rfm_regexp_like(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__rfm_regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__rfm_regexp_like(expr, pattern) -%}
    ({{ expr }} rlike '{{ pattern }}')
{%- endmacro %}

{% macro rfm_clean_text(column) -%}
    {#- Raw values arrive as text or typed; either way: text without surrounding spaces, tabs and line
        breaks (named explicitly: engines disagree on what a bare trim() removes), empty as null. -#}
    nullif(
        trim(both ' ' || chr(9) || chr(10) || chr(13) from {{ dbt.cast(column, api.Column.translate_type('string')) }}),
        ''
    )
{%- endmacro %}

{% macro rfm_is_timestamp_text(expr) -%}
    {#- YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]] naming a real date and time. The calendar check sits inside
        the case so that it only ever casts text the pattern has already vouched for. -#}
    case
        when {{ rfm_regexp_like(expr, '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?$') }}
            then substring({{ expr }}, 1, 4) <> '0000'
            and cast(substring({{ expr }}, 9, 2) as integer) <= case
                when substring({{ expr }}, 6, 2) in ('04', '06', '09', '11') then 30
                when substring({{ expr }}, 6, 2) <> '02' then 31
                when mod(cast(substring({{ expr }}, 1, 4) as integer), 400) = 0 then 29
                when mod(cast(substring({{ expr }}, 1, 4) as integer), 100) = 0 then 28
                when mod(cast(substring({{ expr }}, 1, 4) as integer), 4) = 0 then 29
                else 28
            end
        else false
    end
{%- endmacro %}

{% macro rfm_parse_timestamp(expr) -%}
    case
        when {{ rfm_is_timestamp_text(expr) }}
            then cast(replace({{ expr }}, 'T', ' ') as {{ api.Column.translate_type('timestamp') }})
    end
{%- endmacro %}

{% macro rfm_is_decimal_text(expr) -%}
    coalesce({{ rfm_regexp_like(expr, '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$') }}, false)
{%- endmacro %}

{% macro rfm_parse_money(expr) -%}
    {#- Cents, rounded half away from zero. More than 15 integer digits stays null (and is rejected as
        absurd: the bound is at most 15 digits), so the cast can never overflow. -#}
    case
        when {{ rfm_regexp_like(expr, '^[+-]?0*([0-9]{1,15}([.][0-9]*)?|[.][0-9]+)$') }}
            then cast({{ expr }} as decimal(18, 2))
    end
{%- endmacro %}

{% macro rfm_parse_boolean(expr) -%}
    case
        when lower({{ expr }}) in ('true', 't', 'yes', 'y', '1') then true
        when lower({{ expr }}) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}
