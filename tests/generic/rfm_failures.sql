{#- Generic tests for the analysts' seeds and the staged data. Each returns one row per problem with a
    sentence in `failure_message`. Under `dbt build` / `dbt test` with severity error, the sentences become
    the error itself, so a bad seed edit is named cell by cell in the build output, and the build stops
    before any model downstream of the seed is rebuilt. -#}

{% test grid_complete(model, columns, levels, levels_column=none) %}
    {#- Every combination of 1..levels over `columns` has exactly one row (among the rows whose
        `levels_column` equals `levels`, when given): no score cell is unmapped or mapped twice. Every
        problem is listed, one line per value of the leading columns, so a whole missing grid stays short. -#}
    {%- set levels = levels | int -%}
    {%- set text_type = api.Column.translate_type('string') -%}
    {%- set cell_parts = [] -%}
    {%- for column in columns -%}
        {%- do cell_parts.append(dbt.cast('grid.' ~ column, text_type)) -%}
        {%- if not loop.last -%}{%- do cell_parts.append("'-'") -%}{%- endif -%}
    {%- endfor -%}
    {%- set leading = rfm_prefixed(columns[:-1], 'problems') -%}
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
        ),
        mapped as (
            select
                {%- for column in columns %}
                cast(cells.{{ column }} as integer) as {{ column }},
                {%- endfor %}
                count(*) as n_rows
            from {{ model }} as cells
            {%- if levels_column %}
            where cast(cells.{{ levels_column }} as integer) = {{ levels }}
            {%- endif %}
            group by {% for column in columns %}cast(cells.{{ column }} as integer){{ ", " if not loop.last }}{% endfor %}
        ),
        problems as (
            select
                grid.*,
                mapped.n_rows is not null as is_doubled,
                case
                    when mapped.n_rows is null then {{ dbt.concat(cell_parts) }}
                    else {{ dbt.concat(cell_parts + ["' ('", dbt.cast('mapped.n_rows', text_type), "' rows)'"]) }}
                end as cell
            from grid
            left join mapped
                on
                    {%- for column in columns %}
                    {{ "and " if not loop.first }}grid.{{ column }} = mapped.{{ column }}
                    {%- endfor %}
            where mapped.n_rows is null or mapped.n_rows > 1
        ),
        grouped as (
            select
                problems.is_doubled,
                count(*) as n_cells,
                {{ dbt.listagg('problems.cell', "', '", 'order by problems.' ~ columns[-1]) }} as cells
            from problems
            group by {% for column in leading %}{{ column }}, {% endfor %}problems.is_doubled
        )
        select
            {{ rfm_sentence(
                "{}" ~ columns | join("-") ~ " = {} {} in " ~ model.identifier,
                [
                    "case when grouped.n_cells = 1 then 'cell ' else 'cells ' end",
                    "grouped.cells",
                    "case when grouped.is_doubled and grouped.n_cells = 1 then 'is mapped more than once'"
                    ~ " when grouped.is_doubled then 'are mapped more than once'"
                    ~ " when grouped.n_cells = 1 then 'has no row' else 'have no row' end",
                ]
            ) }} as failure_message
        from grouped
    {%- endset -%}
    {{ rfm_fail_with_messages(
        failures_sql,
        model.identifier ~ " does not map every cell of the " ~ levels ~ "-level grid exactly once",
        max_lines=none,
    ) }}
{% endtest %}

{% test columns_not_null(model, columns, unique_key=none) %}
    {#- None of `columns` holds a null, and no combination of the columns of `unique_key` (when given) appears
        twice. One node and one query per model instead of one test per column and one for the key: a build
        runs over a hundred fewer tests (docs/benchmarks.md). Each column holding nulls is named with their
        count, each doubled key with its number of rows. -#}
    {%- set failures_sql -%}
        with
        counted as (
            select
                {%- for column in columns %}
                count(*) - count({{ column }}) as nulls_{{ loop.index }},
                {%- endfor %}
                count(*) as n_rows
            from {{ model }}
        ),
        by_column as (
            {%- for column in columns %}
            select '{{ column }}' as column_name, nulls_{{ loop.index }} as n_nulls, n_rows from counted
            {{- " union all" if not loop.last }}
            {%- endfor %}
        )
        select
            {{ rfm_sentence(
                model.identifier ~ ".{} is null on {} of {} rows",
                ["by_column.column_name", "by_column.n_nulls", "by_column.n_rows"]
            ) }}
                as failure_message
        from by_column
        where by_column.n_nulls > 0
        {%- if unique_key %}
        union all
        {{ rfm_doubled_keys_sql(model, unique_key) }}
        {%- endif %}
    {%- endset -%}
    {{ rfm_fail_with_messages(
        failures_sql,
        model.identifier ~ " has nulls where none are allowed" ~ (" or a key twice" if unique_key else "")
    ) }}
{% endtest %}

{% test unique_combination(model, columns) %}
    {#- No combination of `columns` appears twice: each score cell maps to one segment only. -#}
    {{ rfm_fail_with_messages(rfm_doubled_keys_sql(model, columns), model.identifier ~ " maps some cells more than once") }}
{% endtest %}

{% test values_in_range(model, column_name, min_value, max_value, rows_named_by=none, allow_null=false) %}
    {#- `min_value` and `max_value` are SQL expressions: numbers, or a column holding each row's bound. The
        rows holding a value out of range are named when `rows_named_by` lists the columns that name a row;
        a null is out of range unless `allow_null` (an optional column). -#}
    {%- set rows_clause, rows_expression = rfm_rows_named(model, column_name, rows_named_by) -%}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                column_name ~ " = {} is outside {}..{}" ~ rows_clause,
                ["checked.value", "checked.min_value", "checked.max_value"] + rows_expression
            ) }} as failure_message
        from (
            select
                {{ column_name }} as value,
                {{ min_value }} as min_value,
                {{ max_value }} as max_value,
                count(*) as n_rows
            from {{ model }}
            where
                {% if not allow_null %}{{ column_name }} is null or {% endif -%}
                {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
            group by 1, 2, 3
        ) as checked
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ "." ~ column_name ~ " has values outside " ~ min_value ~ ".." ~ max_value) }}
{% endtest %}

{% test values_in(model, column_name, to, field, hint='', rows_named_by=none, to_where=none, exempt=[]) %}
    {#- Every non-null value exists in another relation (in its rows matching the condition `to_where`, when
        given); each missing value is named once, with the rows holding it when `rows_named_by` lists the
        columns that name a row (a map's score cells, a flow's code). Values listed in `exempt` (letters, digits
        and _ only) are never missing. -#}
    {%- for value in exempt if execute and not modules.re.match('^[A-Za-z0-9_]+$', value | string) -%}
        {{ exceptions.raise_compiler_error("values_in: exempt values are letters, digits and _ only, got " ~ '"' ~ value ~ '"') }}
    {%- endfor %}
    {%- set rows_clause, rows_expression = rfm_rows_named(model, column_name, rows_named_by) -%}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                column_name ~ ' "{}" is not in ' ~ to.identifier ~ "." ~ field ~ rows_clause ~ hint,
                ["checked.value"] + rows_expression
            ) }} as failure_message
        from (
            select {{ column_name }} as value, count(*) as n_rows
            from {{ model }}
            where {{ column_name }} is not null
            group by {{ column_name }}
        ) as checked
        where not exists (
            select 1 from {{ to }} as known
            where known.{{ field }} = checked.value{% if to_where %} and ({{ to_where }}){% endif %}
        )
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

{% test matches_pattern(model, column_name, pattern) %}
    {#- Every non-null value matches the regular expression `pattern` (written without single quotes). -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(column_name ~ ' "{}" does not match ' ~ pattern ~ " ({} rows)", ["checked.value", "checked.n_rows"]) }}
                as failure_message
        from (
            select {{ column_name }} as value, count(*) as n_rows
            from {{ model }}
            where {{ column_name }} is not null and not {{ rfm_regexp_like(column_name, pattern) }}
            group by {{ column_name }}
        ) as checked
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ "." ~ column_name ~ " has values of the wrong form") }}
{% endtest %}
