{#- Validated access to the project's vars: a bad value stops compilation with one clear line,
    and nothing a user types reaches SQL unchecked. -#}

{% macro rfm_date_var(name) %}
    {%- set value = var(name, '') | string | trim -%}
    {%- if value in ('', 'None', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})$', value) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date written YYYY-MM-DD, got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {%- set year, month, day = match.group(1) | int, match.group(2) | int, match.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " is not a real calendar date: " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{% macro rfm_as_of_date_literal() %}
    {#- The explicit scoring date as a SQL date, or none when the default applies. -#}
    {%- set value = rfm_date_var('as_of_date') -%}
    {{ return(none if value is none else "cast('" ~ value ~ "' as date)") }}
{% endmacro %}

{% macro rfm_today() %}
    {#- The build day that flags future-dated orders; pinned by var rfm_today for reproducible runs. -#}
    {%- set value = rfm_date_var('rfm_today') -%}
    {{ return("cast(" ~ dbt.current_timestamp() ~ " as date)" if value is none else "cast('" ~ value ~ "' as date)") }}
{% endmacro %}

{% macro rfm_int_var(name, min_value, max_value) %}
    {%- set raw = var(name) | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', raw) or (raw | int) < min_value or (raw | int) > max_value -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number from " ~ min_value ~ " to " ~ max_value ~ ", got " ~ '"' ~ raw ~ '"') }}
    {%- endif -%}
    {{ return(raw | int) }}
{% endmacro %}

{% macro rfm_score_levels() %}
    {#- One digit per score keeps rfm_cell readable ('344'), hence at most 9 levels. -#}
    {{ return(rfm_int_var('rfm_score_levels', 2, 9)) }}
{% endmacro %}

{% macro rfm_max_order_total() %}
    {{ return(rfm_int_var('rfm_max_order_total', 1, 999999999999999)) }}
{% endmacro %}

{% macro rfm_choice_var(name, choices) %}
    {%- set value = var(name) | string | trim -%}
    {%- if value not in choices -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be one of " ~ (choices | join(', ')) ~ ", got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{% macro rfm_tie_policy() %}
    {{ return(rfm_choice_var('rfm_tie_policy', ['split', 'shared'])) }}
{% endmacro %}

{% macro rfm_base_currency() %}
    {%- set value = var('rfm_base_currency') | string | trim | upper -%}
    {%- if not modules.re.match('^[A-Z]{3}$', value) -%}
        {{ exceptions.raise_compiler_error("var rfm_base_currency must be a three-letter currency code, got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
