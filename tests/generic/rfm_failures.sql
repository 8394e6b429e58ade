{#- Generic tests for the analysts' seeds and the staged data. Each returns one row per problem with a
    sentence in `failure_message`. Under `dbt build` / `dbt test` with severity error, the sentences become
    the error itself, so a bad seed edit is named cell by cell in the build output, and the build stops
    before any model downstream of the seed is rebuilt. -#}

{% test grid_complete(model, columns, levels) %}
    {#- Every combination of 1..levels over `columns` has a row: no score cell is left unmapped. -#}
    {%- set levels = levels | int -%}
    {%- set failures_sql -%}
        with
        score_values as (
            {%- for score in range(1, levels + 1) %}
            select {{ score }} as score{{ " union all" if not loop.last }}
            {%- endfor %}
        ),
        grid as (
            select
                {%- for column in columns %}
                {{ column }}_values.score as {{ column }}{{ "," if not loop.last }}
                {%- endfor %}
            from
                {%- for column in columns %}
                score_values as {{ column }}_values{{ " cross join" if not loop.last }}
                {%- endfor %}
        )
        select
            {{ rfm_sentence(
                "cell " ~ columns | join("-") ~ " = " ~ (["{}"] * columns | length) | join("-")
                ~ " has no row in " ~ model.identifier,
                rfm_prefixed(columns, "grid")
            ) }} as failure_message
        from grid
        where not exists (
            select 1 from {{ model }} as mapped
            where
                {%- for column in columns %}
                cast(mapped.{{ column }} as integer) = grid.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}
        )
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ " does not cover every cell of the " ~ levels ~ "-level grid") }}
{% endtest %}

{% test unique_combination(model, columns) %}
    {#- No combination of `columns` appears twice: each score cell maps to one segment only. -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "cell " ~ columns | join("-") ~ " = " ~ (["{}"] * columns | length) | join("-")
                ~ " appears {} times in " ~ model.identifier,
                rfm_prefixed(columns, "counted") + ["counted.n_rows"]
            ) }} as failure_message
        from (
            select {{ columns | join(', ') }}, count(*) as n_rows
            from {{ model }}
            group by {{ columns | join(', ') }}
            having count(*) > 1
        ) as counted
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ " maps some cells more than once") }}
{% endtest %}

{% test values_in_range(model, column_name, min_value, max_value) %}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                column_name ~ " = {} is outside " ~ min_value ~ ".." ~ max_value ~ " ({} rows)",
                ["checked.value", "checked.n_rows"]
            ) }} as failure_message
        from (
            select {{ column_name }} as value, count(*) as n_rows
            from {{ model }}
            where {{ column_name }} is null or {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
            group by {{ column_name }}
        ) as checked
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ "." ~ column_name ~ " has values outside " ~ min_value ~ ".." ~ max_value) }}
{% endtest %}

{% test values_in(model, column_name, to, field, hint='', exempt=[]) %}
    {#- Every non-null value exists in another relation, or is one of `exempt` (letters, digits and _ only);
        each missing value is named once. -#}
    {%- for value in exempt if execute and not modules.re.match('^[A-Za-z0-9_]+$', value | string) -%}
        {{ exceptions.raise_compiler_error("values_in: exempt values are letters, digits and _ only, got " ~ '"' ~ value ~ '"') }}
    {%- endfor %}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                column_name ~ ' "{}" is not in ' ~ to.identifier ~ "." ~ field ~ " ({} rows)" ~ hint,
                ["checked.value", "checked.n_rows"]
            ) }} as failure_message
        from (
            select {{ column_name }} as value, count(*) as n_rows
            from {{ model }}
            where {{ column_name }} is not null
            group by {{ column_name }}
        ) as checked
        where
            not exists (select 1 from {{ to }} as known where known.{{ field }} = checked.value)
            {%- for value in exempt %}
                and checked.value <> '{{ value }}'
            {%- endfor %}
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ "." ~ column_name ~ " has values missing from " ~ to.identifier) }}
{% endtest %}

{% test reject_share_within_limits(model, source_name) %}
    {#- The share of a raw table's rows that `model` (int_orders_validated or int_customers_validated)
        rejects: above var rfm_reject_share_warn a warning, above rfm_reject_share_error an error that stops
        the marts downstream, each naming the reasons and their counts. -#}
    {{ config(fail_calc='coalesce(max(case when is_error then 2 else 1 end), 0)', warn_if='>0', error_if='>1') }}
    {%- set warn_share = rfm_share_var('rfm_reject_share_warn') -%}
    {%- set error_share = rfm_share_var('rfm_reject_share_error') -%}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                source_name ~ ": {} of {} raw rows rejected ({} %), more than the {} share {} (var {}); by reason:{}."
                ~ " See data_quality_rejects (column rejection_reason) for the rows: fix them in the export,"
                ~ " add what the reasons name to the seeds (order_statuses, currency_rates), or raise the var",
                [
                    "counted.rows_rejected", "counted.rows_in",
                    rfm_exact_ratio("counted.rows_rejected * 100", "counted.rows_in", 1),
                    "case when counted.is_error then 'failing' else 'warning' end",
                    "case when counted.is_error then '" ~ error_share ~ "' else '" ~ warn_share ~ "' end",
                    "case when counted.is_error then 'rfm_reject_share_error' else 'rfm_reject_share_warn' end",
                    rfm_reason_counts_text("counted", source_name),
                ]
            ) }} as failure_message,
            counted.is_error

        from (
            select
                reasons.*,
                reasons.rows_rejected > reasons.rows_in * {{ error_share }} as is_error
            from ({{ rfm_reason_counts(model, source_name) }}) as reasons
        ) as counted
        where counted.rows_rejected > counted.rows_in * {{ warn_share }}
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "too many raw " ~ source_name ~ " rejected", error_when='is_error') }}
{% endtest %}

{% test scores_someone_when_orders_exist(model, orders_model) %}
    {#- `model` (the scored customers) is empty while `orders_model` (int_orders_validated) has rows: the
        build lost every customer, which is never a success. -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "nobody scored although raw orders has {} rows: {} rejected (by reason:{}), {} accepted."
                ~ " See data_quality_rejects (column rejection_reason) for the rejected rows; accepted orders score"
                ~ " only with a status marked is_purchase in seeds/order_statuses.csv, a net amount above zero and"
                ~ " a date before the scoring date (var as_of_date)",
                [
                    "counted.rows_in", "counted.rows_rejected", rfm_reason_counts_text("counted", "orders"),
                    "counted.rows_in - counted.rows_rejected",
                ]
            ) }} as failure_message

        from ({{ rfm_reason_counts(orders_model, 'orders') }}) as counted
        where counted.rows_in > 0 and not exists (select 1 from {{ model }})
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "no customer was scored") }}
{% endtest %}
