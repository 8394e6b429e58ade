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

{% test values_in(model, column_name, to, field, hint='') %}
    {#- Every non-null value exists in another relation; each missing value is named once. -#}
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
        where not exists (select 1 from {{ to }} as known where known.{{ field }} = checked.value)
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ "." ~ column_name ~ " has values missing from " ~ to.identifier) }}
{% endtest %}
