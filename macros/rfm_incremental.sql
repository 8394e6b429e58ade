{#- Incremental daily runs (docs/incremental.md). -#}

{% macro rfm_incremental_lookback_days() %}
    {#- Days before the previous scoring date whose rows are looked at again on every incremental run, on
        top of the customers whose rows changed: late refunds start to count as the scoring date moves. -#}
    {{ return(rfm_int_var('rfm_incremental_lookback_days', 0, 3650)) }}
{% endmacro %}

{% macro rfm_run_stamps() %}
    {#- This dbt invocation's start as written into SQL: as a timestamp, and in microseconds since 1970. The
        only text of a model's SQL that changes from run to run (rfm_input_signature leaves it out). -#}
    {{ return([run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f"), (run_started_at.timestamp() * 1000000) | int | string]) }}
{% endmacro %}

{% macro rfm_run_started_at() -%}
    {#- This dbt invocation's start, as a timestamp literal: what rows validated or recomputed now carry. -#}
    cast('{{ rfm_run_stamps()[0] }}' as {{ api.Column.translate_type('timestamp') }})
{%- endmacro %}

{% macro rfm_load_id(column) -%}
    {#- A raw row's load_id; rows written without one (raw tables not loaded by scripts/load_raw.py) get
        this run's start in microseconds since 1970, so that every run validates them all again. -#}
    coalesce({{ column }}, cast({{ rfm_run_stamps()[1] }} as bigint))
{%- endmacro %}

{% macro rfm_order_rules_hash() -%}
    {#- What the validation of one order row depends on besides the row, its order id's other rows and
        today: the status and currency seeds, the vars that bound amounts and the reporting time zone (which
        dates the rows); and the scoring window, which decides which validated rows the facts count. When it
        changes, every row is validated again, so that the facts built from them are recomputed too
        (rfm_customer_order_facts_reset). -#}
    {%- set text_type = api.Column.translate_type('string') -%}
    {{ dbt.hash(dbt.concat([
        "'" ~ rfm_base_currency() ~ '|' ~ rfm_max_order_total() ~ '|' ~ rfm_reporting_time_zone() ~ '|'
        ~ rfm_scoring_window_text() ~ "|'",
        "(select coalesce(" ~ dbt.listagg(
            dbt.concat(['statuses.status', "'='", dbt.cast('statuses.is_purchase', text_type)]), "','",
            'order by statuses.status') ~ ", '') from " ~ rfm_seed('order_statuses') ~ " as statuses)",
        "'|'",
        "(select coalesce(" ~ dbt.listagg(
            dbt.concat(['rates.currency_code', "'='", dbt.cast('rates.rate_to_base', text_type)]), "','",
            'order by rates.currency_code') ~ ", '') from " ~ rfm_seed('currency_rates') ~ " as rates)",
    ])) }}
{%- endmacro %}

{% macro rfm_customer_rules_hash() -%}
    {#- What the validation of one customer row depends on besides the rows of its id: var
        rfm_reporting_time_zone, which dates created_at. -#}
    {{ dbt.hash("'" ~ rfm_reporting_time_zone() ~ "'") }}
{%- endmacro %}

{% macro rfm_validated_rows_reset(staged_model, rules_hash) %}
    {#- Pre-hook of the incremental validation models (int_orders_validated, int_customers_validated):
        empties the stored rows, so that every raw row is validated again, when the rules changed
        (`rules_hash`) or when a load they came from is no longer in the raw table (it was replaced, not
        appended to). -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            exists (
                select 1
                from {{ this }} as stored
                where stored.validation_rules_hash <> {{ rules_hash }}
            )
            or exists (
                select 1
                from (select distinct load_id from {{ this }}) as stored_loads
                left join (
                    select distinct {{ rfm_load_id('load_id') }} as load_id from {{ ref('rfm', staged_model) }}
                ) as raw_loads
                    on stored_loads.load_id = raw_loads.load_id
                where raw_loads.load_id is null
            )
    {%- endif -%}
{% endmacro %}

{% macro rfm_customer_order_facts_reset() %}
    {#- Pre-hook of int_customer_order_facts: empties the stored facts, so that the run recomputes every
        customer, when they cannot be reused: every order row was validated again since they were stored
        (see rfm_validated_rows_reset), an explicit as_of_date (now or in the run that stored them), or a
        scoring date that moved backwards. -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            {{ 'true' if rfm_as_of_date_literal() is not none else 'false' }}
            or not exists (
                select 1
                from {{ ref('rfm', 'int_orders_validated') }} as orders
                where orders.validated_at <= (select max(previous.facts_computed_at) from {{ this }} as previous)
            )
            or exists (
                select 1
                from {{ this }} as previous
                cross join {{ ref('rfm', 'int_as_of_dates_resolved') }} as scoring_window
                where
                    previous.is_as_of_date_explicit
                    or scoring_window.as_of_date is null
                    or previous.as_of_date > scoring_window.as_of_date
            )
    {%- endif -%}
{% endmacro %}

{% macro rfm_require_stored_columns(columns) %}
    {#- In an incremental model: stop with the fix when the stored table lacks columns the run reads (it was
        built by an earlier version of the project), instead of failing on a missing column in SQL. -#}
    {%- if execute and is_incremental() -%}
        {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = columns | reject('in', stored) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                this.identifier ~ " was built by an earlier version of the project (no column "
                ~ missing | join(', ') ~ "): rebuild it with dbt build --full-refresh --select "
                ~ this.identifier ~ "+"
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
