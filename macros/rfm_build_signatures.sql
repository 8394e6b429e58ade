{#- A model whose inputs are what they were when it was last built is kept, not built again (DuckDB's
    table, view and incremental materializations; docs/incremental.md, "Kept models"). -#}

{% macro rfm_build_signatures_relation() %}
    {#- One row per model built with a known signature: what it was last built from. -#}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='rfm_build_signatures')) }}
{% endmacro %}

{% macro rfm_build_signatures_setup() %}
    {#- on-run-start: the table of signatures, where the materializations that read it run (DuckDB). -#}
    {{ return(adapter.dispatch('rfm_build_signatures_setup', 'rfm')()) }}
{% endmacro %}

{% macro default__rfm_build_signatures_setup() %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__rfm_build_signatures_setup() %}
    {#- as a package, the host's materializations build the models: nothing reads the table -#}
    {%- if project_name != 'rfm' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = rfm_build_signatures_relation() -%}
    {{ return('create schema if not exists ' ~ relation.without_identifier() ~ '; create table if not exists '
        ~ relation ~ ' (unique_id varchar, input_signature varchar, built_at timestamp)') }}
{% endmacro %}

{% macro rfm_input_states_sql(model_ids, relations, extra) %}
    {#- One query of (input_id, input_state) rows: the stored signature of each model id that has one, the
        content of each relation (input id -> relation, or none when absent: row count and sum of row hashes,
        so any row added, removed or changed shows) and the `extra` selects of two columns. DuckDB SQL. -#}
    {%- set quoted = [] -%}
    {%- for model_id in model_ids -%}
        {%- do quoted.append(rfm_sql_string(model_id)) -%}
    {%- endfor -%}
    {%- set queries = extra + [
        "select unique_id, input_signature from " ~ rfm_build_signatures_relation() ~ " where unique_id in ("
            ~ quoted | join(', ') ~ ")"
    ] -%}
    {%- for input_id, relation in relations.items() -%}
        {%- do queries.append("select " ~ rfm_sql_string(input_id) ~ ", " ~ (
            "'absent'" if relation is none else
            "cast(count(*) as varchar) || ':' || cast(coalesce(sum(hash(t)), 0) as varchar) from " ~ relation ~ " as t"
        )) -%}
    {%- endfor -%}
    {{ return(queries | join('\nunion all\n')) }}
{% endmacro %}

{% macro rfm_signature_of(key, rows, model_ids, parts, known=true) %}
    {#- [signature, stored signature] from the (input_id, input_state) rows of rfm_input_states_sql: key's row
        is the stored signature; the signature is an md5 of the text parts and every other input's state, in
        input id order, or none when it cannot be known (not `known`, or a model id without a stored one). -#}
    {%- set states = {} -%}
    {%- for row in rows -%}
        {%- do states.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set stored = states.pop(key, none) -%}
    {%- if not known or model_ids | reject('in', states) | list -%}
        {{ return([none, stored]) }}
    {%- endif -%}
    {%- set inputs = parts | list -%}
    {%- for input_id in states | sort -%}
        {%- do inputs.append(input_id ~ '=' ~ states[input_id]) -%}
    {%- endfor -%}
    {{ return([local_md5(inputs | join('\n')), stored]) }}
{% endmacro %}

{% macro rfm_forget_signature_sql(unique_id) %}
    {#- Deletes unique_id's stored signature. -#}
    {{ return('delete from ' ~ rfm_build_signatures_relation() ~ ' where unique_id = ' ~ rfm_sql_string(unique_id)) }}
{% endmacro %}

{% macro rfm_record_signature_sql(unique_id, signature) %}
    {#- Stores unique_id's signature, built at this run's start. -#}
    {{ return('insert into ' ~ rfm_build_signatures_relation() ~ ' values (' ~ rfm_sql_string(unique_id) ~ ', '
        ~ rfm_sql_string(signature) ~ ', ' ~ rfm_run_started_at() ~ ')') }}
{% endmacro %}

{% macro rfm_input_signature() %}
    {#- [signature, stored signature] of the model being built. The signature is an md5 of what the model is
        built from: its SQL less this run's start (rfm_run_stamps), its config, description and columns; the
        stored signature of every model it reads; the content of every seed, source or snapshot it reads; and
        the build day (rfm_today, by default the warehouse's current date). It is none when a model it reads has no stored
        signature (an ephemeral model, or one built by another engine or version) or a source it reads is
        files (external_location): then the model is built. -#}
    {%- set models = [model.unique_id] -%}
    {%- set relations = {} -%}
    {%- set files = [] -%}
    {%- for unique_id in model.depends_on.nodes -%}
        {%- if unique_id.startswith('model.') -%}
            {%- do models.append(unique_id) -%}
        {%- else -%}
            {%- set node = graph.sources[unique_id] if unique_id.startswith('source.') else graph.nodes[unique_id] -%}
            {%- for key in ['meta', 'source_meta', 'config'] if (node.get(key) or {}).get('external_location') -%}
                {%- do files.append(unique_id) -%}
            {%- endfor -%}
            {%- do relations.update({unique_id: adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.identifier or node.alias
            )}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rows = run_query(rfm_input_states_sql(models, relations,
        ["select 'today' as input_id, cast(" ~ rfm_today() ~ " as varchar) as input_state"])) -%}
    {%- do adapter.commit() -%}
    {%- set code = namespace(text=compiled_code) -%}
    {%- for stamp in rfm_run_stamps() -%}
        {%- set code.text = code.text | replace(stamp, '<run started at>') -%}
    {%- endfor -%}
    {#- a source read from files (dbt-duckdb's external_location) is not looked at: such a model is always built -#}
    {{ return(rfm_signature_of(model.unique_id, rows, models[1:], [model.unique_id, code.text,
        tojson(model.config, sort_keys=true), model.description, tojson(model.columns, sort_keys=true)],
        known=not files)) }}
{% endmacro %}

{% macro rfm_publication_signature(published, nodes) %}
    {#- [signature, stored signature] of the published copy (rfm_publish_marts): the marts' signatures and the
        seeds' content, and whether the file is there. none when a mart has no signature. -#}
    {%- set key = 'published:' ~ published -%}
    {%- set models = [key] -%}
    {%- set relations = {} -%}
    {%- for node in nodes -%}
        {%- if node.resource_type == 'model' -%}
            {%- do models.append(node.unique_id) -%}
        {%- else -%}
            {%- do relations.update({node.unique_id: api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(rfm_signature_of(key, rfm_publish_query(rfm_input_states_sql(models, relations,
        ["select 'file' as input_id, cast(rfm_file_exists(" ~ rfm_sql_string(published) ~ ") as varchar) as input_state"])),
        models[1:], [key])) }}
{% endmacro %}

{% macro rfm_unless_unchanged(build) %}
    {#- Keeps the model's relation when it was built from the same inputs (rfm_input_signature) and this is
        no full refresh; else forgets its signature (committed before anything changes, so that no relation
        ever stands for a signature it was not built from), builds it with `build` and records the new one. -#}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set signature, stored = rfm_input_signature() -%}
    {%- if existing_relation is not none and signature is not none and signature == stored
        and not should_full_refresh() -%}
        {%- call noop_statement('main', 'KEPT (inputs unchanged)', 'KEPT', 0) -%}{%- endcall -%}
        {{ return({'relations': [existing_relation]}) }}
    {%- endif -%}
    {%- if stored is not none -%}
        {%- do run_query(rfm_forget_signature_sql(model.unique_id)) -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {%- set result = build() -%}
    {%- if signature is not none -%}
        {%- do run_query(rfm_record_signature_sql(model.unique_id, signature)) -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {{ return(result) }}
{% endmacro %}
