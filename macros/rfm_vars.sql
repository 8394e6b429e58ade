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

{% macro rfm_engagement_inactivity_days() %}
    {#- Length of one inactivity period of the engagement score: each full period without an open or a
        click costs the points of seeds/engagement_scoring.csv row `inactive_period`. -#}
    {{ return(rfm_int_var('rfm_engagement_inactivity_days', 1, 3650)) }}
{% endmacro %}

{% macro rfm_replenishment_lead_days() %}
    {#- A repeat buyer is due to re-buy from this many days before their own average purchase cycle ends. -#}
    {{ return(rfm_int_var('rfm_replenishment_lead_days', 0, 365)) }}
{% endmacro %}

{% macro rfm_replenishment_grace_days() %}
    {#- ... and stays due until this many days after it; later they are overdue, no longer "due now". -#}
    {{ return(rfm_int_var('rfm_replenishment_grace_days', 0, 365)) }}
{% endmacro %}

{% macro rfm_history_grain() %}
    {#- Length of one period of rfm_segment_history (docs/history.md). -#}
    {{ return(rfm_choice_var('rfm_history_grain', ['month', 'week'])) }}
{% endmacro %}

{% macro rfm_history_start() %}
    {#- Where rfm_segment_history starts: {'periods': N} for the last N closed periods (empty: 12; 0: no
        history), or {'date': 'YYYY-MM-DD'} for every closed period from the one containing that date. -#}
    {%- set value = var('rfm_history_start', '') | string | trim -%}
    {%- if value in ('', 'None', 'none', 'null') -%}
        {{ return({'periods': 12}) }}
    {%- elif modules.re.match('^[0-9]+$', value) -%}
        {{ return({'periods': rfm_int_var('rfm_history_start', 0, 1000)}) }}
    {%- elif modules.re.match('^[0-9]{4}-', value) -%}
        {{ return({'date': rfm_date_var('rfm_history_start')}) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error("var rfm_history_start must be empty, a number of periods (0 to 1000) or a date written YYYY-MM-DD, got " ~ '"' ~ value ~ '"') }}
{% endmacro %}

{% macro rfm_history_period_bound() %}
    {#- An upper bound, known when compiling, of the periods rfm_segment_history can hold: generated period
        numbers run 1..bound. With a start date, the periods from it to the latest possible as_of_date
        (the explicit one, or the day after the build day). -#}
    {%- set start = rfm_history_start() -%}
    {%- if 'periods' in start -%}
        {{ return([start['periods'], 1] | max) }}
    {%- endif -%}
    {%- set parse = modules.datetime.date.fromisoformat -%}
    {%- set as_of = rfm_date_var('as_of_date') -%}
    {%- set today = rfm_date_var('rfm_today') -%}
    {%- set end = parse(as_of) if as_of is not none
        else (parse(today) if today is not none else modules.datetime.date.today()) + modules.datetime.timedelta(days=1) -%}
    {%- set days = (end - parse(start['date'])).days -%}
    {%- set periods = (days // 7 + 2) if rfm_history_grain() == 'week' else (days // 28 + 2) -%}
    {{ return([periods, 1] | max) }}
{% endmacro %}

{% macro rfm_reporting_time_zone() %}
    {#- The IANA zone that order dates are taken in (docs/rules.md section 2). Only names from the tz
        database pass, so the value is safe to quote into SQL. -#}
    {%- set value = var('rfm_reporting_time_zone') | string | trim -%}
    {%- if value not in modules.pytz.all_timezones -%}
        {{ exceptions.raise_compiler_error("var rfm_reporting_time_zone must be an IANA time zone name such as UTC, Europe/Paris or America/New_York, got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{% macro rfm_identifier_var(name) %}
    {#- A schema name that reaches SQL as an identifier: letters, digits and underscores only, so no quoting
        trick can break out of it (tests/python/test_hostile_input.py feeds it hostile values). -#}
    {%- set value = var(name) | string | trim -%}
    {%- if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]{0,62}$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a schema name (letters, digits and _, at most 63), got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{% macro rfm_share_var(name) %}
    {#- A share of rows from 0 to 1, written as a decimal (0.2 for 20 %). -#}
    {%- set raw = var(name) | string | trim -%}
    {%- if not modules.re.match('^(0?[.][0-9]+|[01]([.][0-9]*)?)$', raw) or (raw | float) > 1 -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a share from 0 to 1 written as a decimal (0.2 for 20 %), got " ~ '"' ~ raw ~ '"') }}
    {%- endif -%}
    {{ return(raw) }}
{% endmacro %}

{% macro rfm_raw_schema() %}
    {{ return(rfm_identifier_var('rfm_raw_schema')) }}
{% endmacro %}

{% macro rfm_unknown_status_severity() %}
    {{ return(rfm_choice_var('rfm_unknown_status_severity', ['error', 'warn'])) }}
{% endmacro %}

{% macro rfm_unknown_currency_severity() %}
    {{ return(rfm_choice_var('rfm_unknown_currency_severity', ['error', 'warn'])) }}
{% endmacro %}

{% macro source(source_name, table_name) %}
    {#- dbt's source(), after checking the var that names the raw schema: it reaches every query that reads
        a raw table, so a hostile value never leaves this macro. -#}
    {%- do rfm_raw_schema() -%}
    {{ return(builtins.source(source_name, table_name)) }}
{% endmacro %}

{% macro rfm_check_vars() %}
    {#- on-run-start: every var of dbt_project.yml checked before any node runs, so a bad value stops the
        whole invocation with one line and nothing is built (tests/python/test_hostile_input.py). -#}
    {%- do rfm_date_var('as_of_date') -%}
    {%- do rfm_date_var('rfm_today') -%}
    {%- do rfm_score_levels() -%}
    {%- do rfm_tie_policy() -%}
    {%- do rfm_max_order_total() -%}
    {%- do rfm_base_currency() -%}
    {%- do rfm_raw_schema() -%}
    {%- do rfm_unknown_status_severity() -%}
    {%- do rfm_unknown_currency_severity() -%}
    {%- do rfm_share_var('rfm_reject_share_warn') -%}
    {%- do rfm_share_var('rfm_reject_share_error') -%}
    {%- do rfm_reporting_time_zone() -%}
    {%- do rfm_incremental_lookback_days() -%}
    {%- do rfm_history_grain() -%}
    {%- do rfm_history_period_bound() -%}
    {%- do rfm_engagement_inactivity_days() -%}
    {%- do rfm_replenishment_lead_days() -%}
    {%- do rfm_replenishment_grace_days() -%}
    {%- do rfm_scoring_window() -%}
    {%- do rfm_clv_horizon_months() -%}
    {%- do rfm_share_var('rfm_clv_discount_rate') -%}
    {%- do rfm_clv_max_parameter_age_days() -%}
    {%- do rfm_flow_conversion_window_days() -%}
    {%- do rfm_flow_min_group_size() -%}
    {{ return('') }}
{% endmacro %}

{% macro rfm_scoring_window() %}
    {#- Var rfm_scoring_window: none for all history, else {'count': N, 'unit': 'day' or 'month'} from
        "N days" or "N months" (docs/rules.md section 6). -#}
    {%- set value = var('rfm_scoring_window', '') | string | trim | lower -%}
    {%- if value in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set match = modules.re.match('^([0-9]{1,5}) *(day|days|month|months)$', value) -%}
    {%- set limits = {'day': 36500, 'month': 1200} -%}
    {%- set unit = match.group(2).rstrip('s') if match else none -%}
    {%- if not match or (match.group(1) | int) < 1 or (match.group(1) | int) > limits[unit] -%}
        {{ exceptions.raise_compiler_error("var rfm_scoring_window must be empty (all history) or a number of days or months, e.g. \"365 days\" or \"12 months\" (1 to 36500 days, 1 to 1200 months), got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {{ return({'count': match.group(1) | int, 'unit': unit}) }}
{% endmacro %}

{% macro rfm_scoring_window_text() %}
    {#- The window in words ('12 month', or 'all' for all history): for signatures and hashes. -#}
    {%- set window = rfm_scoring_window() -%}
    {{ return('all' if window is none else window['count'] ~ ' ' ~ window['unit']) }}
{% endmacro %}

{% macro rfm_in_scoring_window(date_expr, as_of_date_expr) -%}
    {#- True when a purchase dated `date_expr` is inside the scoring window ending at `as_of_date_expr` (the
        start of that day): on or after as_of_date minus the window. -#}
    {%- set window = rfm_scoring_window() -%}
    {%- if window is none -%}
        true
    {%- else -%}
        {{ date_expr }} >= cast({{ dbt.dateadd(window['unit'], -window['count'], as_of_date_expr) }} as date)
    {%- endif -%}
{%- endmacro %}
