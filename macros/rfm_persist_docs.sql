{#- Warehouse comments of a table (persist_docs) in one statement. dbt-core's persist_docs looks up the table's
    columns and then each adapter's column comments look them up again, three adapter calls besides the two
    statements. A model with an enforced contract needs neither look-up: dbt has checked that its query has
    exactly the declared columns before creating it. Other models keep dbt's path. -#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {{ return(rfm_persist_contracted_docs(relation, model, for_relation, for_columns, duckdb_escape_comment)) }}
{%- endmacro %}

{% macro postgres__persist_docs(relation, model, for_relation, for_columns) -%}
    {{ return(rfm_persist_contracted_docs(relation, model, for_relation, for_columns, postgres_escape_comment)) }}
{%- endmacro %}

{% macro rfm_persist_contracted_docs(relation, model, for_relation, for_columns, escape_comment) -%}
    {%- if not model.config.contract.enforced -%}
        {{ return(dbt.default__persist_docs(relation, model, for_relation, for_columns)) }}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- if for_relation and config.persist_relation_docs() and model.description -%}
        {%- do statements.append(alter_relation_comment(relation, model.description)) -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() -%}
        {%- for name, column in model.columns.items() -%}
            {%- set column_sql = adapter.quote(name) if column.quote else name -%}
            {%- do statements.append('comment on column ' ~ relation ~ '.' ~ column_sql ~ ' is '
                ~ escape_comment(column.description) ~ ';') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do run_query(statements | join('\n')) -%}
    {%- endif -%}
{%- endmacro %}
