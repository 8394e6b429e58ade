{% materialization table, adapter='duckdb' %}
    {{ return(rfm_unless_unchanged(rfm_duckdb_table)) }}
{% endmaterialization %}

{% materialization view, adapter='duckdb' %}
    {{ return(rfm_unless_unchanged(rfm_duckdb_view)) }}
{% endmaterialization %}

{% materialization incremental, adapter='duckdb' %}
    {#- dbt-duckdb's incremental materialization, unless the model is kept (rfm_unless_unchanged). -#}
    {{ return(rfm_unless_unchanged(dbt.materialization_incremental_duckdb)) }}
{% endmaterialization %}

{% macro rfm_duckdb_table() %}
    {#- A SQL table on DuckDB replaced in one transaction: the old table is dropped and the new one created
        under its final name, then committed. dbt-duckdb's own materialization creates the new table under a
        temporary name, renames the old one away, renames the new one in, looks for indexes and foreign keys
        around each step, and drops the old one after the commit: five more adapter calls a table, each with
        a namespace of every macro built for it: about 6 % of a `dbt run` of the demo (docs/benchmarks.md).
        DuckDB's DDL is transactional: a failing `create` (or a killed build) rolls the drop back and leaves
        the previous table, as the renames did. Every other case is left to dbt-duckdb: Python models,
        DuckLake catalogs, and tables that declare or hold key constraints (foreign keys need its order). -#}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set key_types = ['primary_key', 'unique', 'foreign_key'] -%}
    {%- set declared_keys = enforced_constraint_types() | select('in', key_types) | list -%}
    {%- if model['language'] != 'sql' or adapter.use_ducklake_table_workarounds(target_relation)
        or declared_keys or existing_constraint_types(existing_relation) -%}
        {{ return(dbt.materialization_table_duckdb()) }}
    {%- endif -%}

    {{ return(rfm_replace_in_one_transaction(existing_relation, target_relation)) }}
{% endmacro %}

{% macro rfm_duckdb_view() %}
    {#- A view on DuckDB replaced the same way. dbt's default creates it under a temporary name, renames the old
        one away and the new one in, then drops the old one: about 3 % of the CPU of a models-only build of tiny
        data (docs/benchmarks.md). A create that fails (a column the query names is gone) rolls the drop back. -#}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {{ return(rfm_replace_in_one_transaction(existing_relation, target_relation)) }}
{% endmacro %}

{% macro rfm_replace_in_one_transaction(existing_relation, target_relation) %}
    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- do adapter.ensure_transaction() -%}
    {%- if existing_relation is not none -%}
        {%- do adapter.drop_relation(existing_relation) -%}
    {%- endif -%}
    {% call statement('main') -%}
        {%- if target_relation.is_view -%}
            {{ get_create_view_as_sql(target_relation, compiled_code) }}
        {%- else -%}
            {{ create_table_as(False, target_relation, compiled_code) }}
        {%- endif -%}
    {%- endcall %}
    {%- if target_relation.is_table -%}
        {%- do create_indexes(target_relation) -%}
    {%- endif -%}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {%- set revoke = should_revoke(existing_relation, full_refresh_mode=True) -%}
    {%- do apply_grants(target_relation, config.get('grants'), should_revoke=revoke) -%}
    {%- do persist_docs(target_relation, model) -%}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmacro %}
