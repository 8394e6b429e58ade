{#- Helpers for the generic tests in tests/generic/: failures that say in words what is wrong. -#}
{% macro rfm_fail_with_messages(failures_sql, subject, error_when='1 = 1', max_lines=20) %}
    {#- Under `dbt build` / `dbt test`, the failure sentences are put in front of the user: an error (stopping
        everything downstream) for severity error, a warning naming them for severity warn. `error_when`, a
        condition on the failure rows, keeps the others at a warning under severity error (the test's
        fail_calc must agree). At most `max_lines` sentences are shown (none: all). Elsewhere (compile, docs)
        only the SQL is returned: it still yields one row per problem.
        In this project, its test materialization (below) reads the sentences only when the test fails, so a
        passing test runs its query once: the SQL carries subject and max_lines in a closing comment. In a
        host project (docs/package.md), where dbt ignores a package's test materialization, they are read
        here, while compiling: the query runs a second time as the test. -#}
    {%- if not (execute and flags.WHICH in ('build', 'test', 'retry')) -%}
        {{ return(failures_sql) }}
    {%- elif project_name == 'rfm' -%}
        {%- set options = tojson({'subject': subject, 'max_lines': max_lines}) | replace('*/', '*\\/') -%}
        {{ return(failures_sql ~ '\n/* rfm_failure_messages ' ~ options ~ ' */\n') }}
    {%- endif -%}
    {%- set failures = run_query(
        'select failure_message, case when ' ~ error_when ~ ' then 1 else 0 end as is_error from ('
        ~ failures_sql ~ ') as failures order by 1'
    ) -%}
    {%- if failures.rows | length > 0 -%}
        {%- set is_error = config.get('severity', 'error') | lower == 'error'
            and 1 in failures.columns[1].values() | map('int') -%}
        {%- do rfm_report_failures(subject, failures.columns[0].values(), max_lines, is_error) -%}
    {%- endif -%}
    {{ return(failures_sql) }}
{% endmacro %}

{% macro rfm_report_failures(subject, messages, max_lines, is_error) %}
    {#- The failure sentences under `subject`, at most max_lines of them, as an error or a warning. -#}
    {%- set shown = messages | length if max_lines is none else max_lines -%}
    {%- set more = messages | length - shown -%}
    {%- set text = subject ~ ":\n  - " ~ (messages[:shown] | join("\n  - "))
        ~ ("\n  ... and " ~ more ~ " more" if more > 0 else "") -%}
    {%- if is_error -%}
        {{ exceptions.raise_compiler_error(text) }}
    {%- endif -%}
    {%- do exceptions.warn(text) -%}
{% endmacro %}

{% materialization test, default %}
    {#- dbt's own test materialization, then, for a test of rfm_fail_with_messages that failed or warned, its
        failure sentences (whose first line and count the SQL's closing comment gives), reported the way
        dbt's result says: an error when the test errors, a warning otherwise. -#}
    {%- set relations = dbt.materialization_test_default() -%}
    {%- set options = modules.re.search('/\\* rfm_failure_messages (\\{.*?\\}) \\*/', sql) -%}
    {%- set result = load_result('main').table.rows[0] -%}
    {%- if options and (result['should_warn'] or result['should_error']) -%}
        {%- set options = fromjson(options.group(1)) -%}
        {%- set messages = run_query('select failure_message from (' ~ sql ~ ') as failures order by 1') -%}
        {%- do rfm_report_failures(
            options['subject'], messages.columns[0].values(), options['max_lines'],
            result['should_error'] and config.get('severity', 'error') | lower == 'error'
        ) -%}
    {%- endif -%}
    {{ return(relations) }}
{% endmaterialization %}

{% macro rfm_sentence(template, expressions) %}
    {#- A SQL expression building `template` with each {} replaced by the next expression as text.
        Templates use no single quotes, so the same literal is valid on every engine. -#}
    {%- set pieces = template.split('{}') -%}
    {%- set parts = [] -%}
    {%- for piece in pieces -%}
        {%- if piece -%}{%- do parts.append("'" ~ piece ~ "'") -%}{%- endif -%}
        {%- if not loop.last -%}
            {%- do parts.append(
                "coalesce(" ~ dbt.cast(expressions[loop.index0], api.Column.translate_type('string')) ~ ", 'null')"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(dbt.concat(parts)) }}
{% endmacro %}

{% macro rfm_doubled_keys_sql(model, columns) %}
    {#- One failure_message per combination of `columns` found on more than one row of `model`. -#}
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
    {{ return(failures_sql) }}
{% endmacro %}

{% macro rfm_rows_named(model, column_name, rows_named_by) %}
    {#- [clause, expressions] for rfm_sentence naming the rows of `model` whose `column_name` is the failing
        value checked.value, by the columns `rows_named_by` (' (flow_code = a, b)'), or their count when none. -#}
    {%- if not rows_named_by -%}
        {{ return([" ({} rows)", ["checked.n_rows"]]) }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for column in rows_named_by -%}
        {%- do parts.append(dbt.cast('named.' ~ column, api.Column.translate_type('string'))) -%}
        {%- if not loop.last -%}{%- do parts.append("'-'") -%}{%- endif -%}
    {%- endfor -%}
    {{ return([
        " (" ~ rows_named_by | join("-") ~ " = {})",
        ["(select " ~ dbt.listagg(dbt.concat(parts), "', '", "order by " ~ rfm_prefixed(rows_named_by, 'named') | join(', '))
         ~ " from " ~ model ~ " as named where named." ~ column_name ~ " = checked.value)"]
    ]) }}
{% endmacro %}

{% macro rfm_prefixed(columns, alias) %}
    {%- set prefixed = [] -%}
    {%- for column in columns -%}{%- do prefixed.append(alias ~ "." ~ column) -%}{%- endfor -%}
    {{ return(prefixed) }}
{% endmacro %}


{% macro rfm_text_fixture(table, rows) %}
    {#- A unit test's raw table as SQL: every contract column of `table` (macro rfm_raw_columns) as text,
        null where a row has no value, so that the rows never take the types of the user's raw columns. -#}
    {%- set contract = rfm_raw_columns()[table] -%}
    {%- set text = api.Column.translate_type('string') -%}
    {%- set selects = [] -%}
    {%- for row in rows -%}
        {%- set values = [] -%}
        {%- for column in contract[0] + contract[1] -%}
            {%- set value = row.get(column) -%}
            {%- set literal = 'null' if value is none else "'" ~ (value | string | replace("'", "''")) ~ "'" -%}
            {%- do values.append("cast(" ~ literal ~ " as " ~ text ~ ") as " ~ column) -%}
        {%- endfor -%}
        {%- do selects.append("select " ~ values | join(", ")) -%}
    {%- endfor -%}
    {{ return(selects | join("\nunion all\n")) }}
{% endmacro %}
