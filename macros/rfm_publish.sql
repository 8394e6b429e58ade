{% macro rfm_publish_marts(results=none) %}
    {#- On-run-end hook (and `dbt run-operation rfm_publish_marts`): on DuckDB, copy the marts and seeds into
        a new file and rename it over the published copy (docs/bi.md). After `dbt build` only when every node
        succeeded, so a failed build leaves the last good copy in place. -#}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- if results is not none -%}
        {%- if flags.WHICH != 'build' -%}
            {{ return('') }}
        {%- endif -%}
        {%- set failed = results | rejectattr('status', 'in', ['success', 'pass', 'warn', 'no-op']) | list -%}
        {%- if failed -%}
            {{ log('marts not published: ' ~ failed | length ~ ' node(s) did not succeed, the published copy is unchanged', info=true) }}
            {{ return('') }}
        {%- endif -%}
    {%- endif -%}
    {%- set plugin = rfm_publish_query("select count(*) from duckdb_functions() where function_name = 'rfm_replace_file'") -%}
    {%- if plugin.columns[0].values()[0] == 0 and project_name != 'rfm' -%}
        {#- a host project's own profile: publishing is the host's choice (docs/package.md) -#}
        {{ log('marts not published: the profile has no rfm_publish plugin (docs/package.md)', info=true) }}
        {{ return('') }}
    {%- elif plugin.columns[0].values()[0] == 0 -%}
        {{ exceptions.raise_compiler_error("cannot publish the marts: the profile lacks the rfm_publish plugin (copy its module_paths and plugins lines from profiles.yml.example)") }}
    {%- endif -%}
    {%- set published = rfm_publish_query('select rfm_published_path()').columns[0].values()[0] -%}
    {%- if not published -%}
        {{ return('') }}
    {%- endif -%}
    {#- Existing tables from information_schema: adapter.get_relation may open a transaction (see below). -#}
    {%- set existing = [] -%}
    {%- for row in rfm_publish_query("select table_catalog, table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'") -%}
        {%- do existing.append((row[0] ~ '.' ~ row[1] ~ '.' ~ row[2]) | lower) -%}
    {%- endfor -%}
    {%- set nodes = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'seed'
        or (node.resource_type == 'model' and 'marts' in node.fqn and node.config.materialized in ('table', 'incremental')) -%}
        {%- if (node.database ~ '.' ~ node.schema ~ '.' ~ node.alias) | lower in existing -%}
            {%- do nodes.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- After a build, a published copy of the same marts (every one kept since: rfm_input_signature) stays. -#}
    {%- set signatures = rfm_build_signatures_relation() -%}
    {%- set publication = rfm_publication_signature(published, nodes) if (signatures.database ~ '.'
        ~ signatures.schema ~ '.' ~ signatures.identifier) | lower in existing else [none, none] -%}
    {%- if results is not none and publication[0] is not none and publication[0] == publication[1] -%}
        {{ log('marts unchanged since they were published to ' ~ published ~ ': the published copy is kept', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- if publication[1] is not none -%}
        {%- do rfm_publish_query(rfm_forget_signature_sql('published:' ~ published)) -%}
    {%- endif -%}
    {%- set next = published ~ '.next' -%}
    {%- do rfm_publish_query("select rfm_remove_file(" ~ rfm_sql_string(next) ~ ")") -%}
    {%- do rfm_publish_query('attach ' ~ rfm_sql_string(next) ~ ' as rfm_published_next') -%}
    {#- One statement for all the copies: a query of its own each cost more than the copy itself on small marts. -#}
    {%- set copies = [] -%}
    {%- set schemas = [] -%}
    {%- for node in nodes -%}
        {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if node.schema not in schemas -%}
            {%- do schemas.append(node.schema) -%}
            {%- do copies.append('create schema if not exists rfm_published_next.' ~ adapter.quote(node.schema)) -%}
        {%- endif -%}
        {%- do copies.append('create table rfm_published_next.' ~ adapter.quote(node.schema) ~ '.' ~ adapter.quote(node.alias) ~ ' as select * from ' ~ relation) -%}
    {%- endfor -%}
    {%- if copies -%}
        {%- do rfm_publish_query(copies | join(';\n')) -%}
    {%- endif -%}
    {%- do rfm_publish_query('detach rfm_published_next') -%}
    {%- do rfm_publish_query("select rfm_replace_file(" ~ rfm_sql_string(next) ~ ", " ~ rfm_sql_string(published) ~ ")") -%}
    {%- if publication[0] is not none -%}
        {%- do rfm_publish_query(rfm_record_signature_sql('published:' ~ published, publication[0])) -%}
    {%- endif -%}
    {{ log('published ' ~ (copies | length - schemas | length) ~ ' tables to ' ~ published, info=true) }}
    {{ return('') }}
{% endmacro %}

{% macro rfm_publish_query(sql) %}
    {#- run_query without the transaction dbt would open: DuckDB drops the writes made in an open transaction to
        a database detached in it, and `dbt run-operation` never commits. Each statement commits on its own. -#}
    {%- call statement('rfm_publish', fetch_result=true, auto_begin=false) -%}{{ sql }}{%- endcall -%}
    {{ return(load_result('rfm_publish').table) }}
{% endmacro %}

{% macro rfm_sql_string(value) %}
    {#- A SQL string literal of value (single quotes doubled). -#}
    {{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}
{% endmacro %}
