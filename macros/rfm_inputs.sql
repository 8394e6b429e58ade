{#- Where the raw data and the editable tables come from, chosen by vars (docs/own-data.md): the raw tables
    (var rfm_inputs: a source or a model of the host project, default the source `raw`), their column names
    (var rfm_column_map) and the seeds (var rfm_seeds). Every name a user gives is checked here, and column
    names reach SQL quoted. -#}

{% macro rfm_raw_columns() %}
    {#- The raw contract of docs/rules.md section 1, table -> (required columns, optional columns); the
        loader (scripts/load_raw.py) writes the same columns. -#}
    {{ return({
        'orders': (
            ['order_id', 'customer_id', 'ordered_at', 'order_total'],
            ['status', 'currency', 'refund_of_order_id', 'refunded_amount', 'load_id'],
        ),
        'customers': (
            ['customer_id'],
            ['email', 'first_name', 'created_at', 'country', 'accepts_marketing', 'concern', 'load_id'],
        ),
        'email_events': (['customer_id', 'event_type', 'occurred_at'], []),
    }) }}
{% endmacro %}

{% macro rfm_dict_var(name, allowed_keys) %}
    {#- A var that maps some of `allowed_keys` to names: a dict, checked key by key. -#}
    {%- set value = var(name, {}) -%}
    {%- if value in (none, '') -%}
        {{ return({}) }}
    {%- endif -%}
    {%- if value is not mapping -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a mapping of " ~ (allowed_keys | join(', ')) ~ " to names, got " ~ '"' ~ value ~ '"') }}
    {%- endif -%}
    {%- for key in value -%}
        {%- if key not in allowed_keys -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ ": unknown key " ~ '"' ~ key ~ '"' ~ " (known: " ~ (allowed_keys | join(', ')) ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(value) }}
{% endmacro %}

{% macro rfm_identifier(value, where) %}
    {#- A column or relation name given in a var: letters, digits, _, space, $ and -, starting with a letter,
        digit or _ (no quotes, dots or semicolons, so that quoting it is enough). -#}
    {%- set text = value | string -%}
    {%- if value is not string or not modules.re.match('^[A-Za-z0-9_][A-Za-z0-9_ $-]{0,126}$', text) or text != text | trim -%}
        {{ exceptions.raise_compiler_error(where ~ " must be a column or table name (letters, digits, _, space, $, -), got " ~ '"' ~ text ~ '"') }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}

{% macro rfm_column_map(table) %}
    {#- Contract column -> the name it has in the user's table (var rfm_column_map, e.g.
        {orders: {order_id: id, ordered_at: created_at}}); unmapped columns keep their contract name. -#}
    {%- set contract = rfm_raw_columns() -%}
    {%- set tables = rfm_dict_var('rfm_column_map', contract.keys() | list) -%}
    {%- set columns = contract[table][0] + contract[table][1] -%}
    {%- set given = tables.get(table) or {} -%}
    {%- if given is not mapping -%}
        {{ exceptions.raise_compiler_error("var rfm_column_map: " ~ table ~ " must map contract columns to your column names, got " ~ '"' ~ given ~ '"') }}
    {%- endif -%}
    {%- set mapped = {} -%}
    {%- for column in columns -%}
        {%- do mapped.update({column: column}) -%}
    {%- endfor -%}
    {%- for column, name in given.items() -%}
        {%- if column not in columns -%}
            {{ exceptions.raise_compiler_error("var rfm_column_map: " ~ table ~ " has no column " ~ '"' ~ column ~ '"' ~ " (known: " ~ (columns | join(', ')) ~ ")") }}
        {%- endif -%}
        {%- do mapped.update({column: rfm_identifier(name, "var rfm_column_map: " ~ table ~ "." ~ column)}) -%}
    {%- endfor -%}
    {{ return(mapped) }}
{% endmacro %}

{% macro rfm_input(table) %}
    {#- The relation holding a raw table: var rfm_inputs names a model or seed of the host project
        (`shop_orders`: a ref, so dbt builds it first) or a source (`shopify.orders`); default the source
        raw.<table> in schema var rfm_raw_schema. Called at parse time too, so the lineage is exact. -#}
    {%- set inputs = rfm_dict_var('rfm_inputs', rfm_raw_columns().keys() | list) -%}
    {%- set name = inputs.get(table) or '' -%}
    {%- if name == '' -%}
        {{ return(source('raw', table)) }}
    {%- endif -%}
    {%- set parts = (name | string).split('.') -%}
    {%- if parts | length == 2 -%}
        {{ return(source(
            rfm_identifier(parts[0], "var rfm_inputs: " ~ table ~ " (source name)"),
            rfm_identifier(parts[1], "var rfm_inputs: " ~ table ~ " (table name)")
        )) }}
    {%- endif -%}
    {#- named with the host project's name: a package's bare ref to the host makes dbt warn -#}
    {{ return(ref(project_name, rfm_identifier(name, "var rfm_inputs: " ~ table ~ " (a model name, or source.table)"))) }}
{% endmacro %}

{% macro rfm_raw_columns_sql(relation, table) %}
    {#- Contract column -> SQL reading it from `relation`: its mapped name, quoted and spelled as in the
        warehouse. A missing optional column is a typed null; a missing required one is a one-line error
        naming the var. The relation's columns are looked up once. A unit test's fixture (no schema) holds
        every contract column under its contract name. -#}
    {%- set contract = rfm_raw_columns()[table] -%}
    {%- set is_fixture = relation.schema is none -%}
    {%- set names = rfm_column_map(table) -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) if execute and not is_fixture else none -%}
    {%- set actual = {} -%}
    {%- if found is not none -%}
        {%- for column in adapter.get_columns_in_relation(found) -%}
            {%- do actual.update({column.name | lower: column.name}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- for column in contract[0] + contract[1] -%}
        {%- set name = column if is_fixture else names[column] -%}
        {%- if found is none -%}
            {%- do columns.update({column: adapter.quote(name)}) -%}
        {%- elif name | lower in actual -%}
            {%- do columns.update({column: adapter.quote(actual[name | lower])}) -%}
        {%- elif column in contract[0] -%}
            {{ exceptions.raise_compiler_error(
                table ~ ": required column " ~ '"' ~ name ~ '"' ~ " (contract column " ~ column ~ ") not found in "
                ~ found ~ "; map it with var rfm_column_map: {" ~ table ~ ": {" ~ column ~ ": <your column>}}"
            ) }}
        {%- else -%}
            {%- do columns.update({column: "cast(null as " ~ api.Column.translate_type('string') ~ ")"}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}

{% macro rfm_seed(name) %}
    {#- One of the package's seeds, or the host project's replacement named in var rfm_seeds (e.g.
        {order_statuses: my_order_statuses}): a ref either way, so dbt builds and tests it first. -#}
    {%- set seeds = rfm_dict_var('rfm_seeds', ['order_statuses', 'currency_rates', 'rfm_segment_map', 'rfm_segments', 'clv_parameters']) -%}
    {%- set replacement = seeds.get(name) or '' -%}
    {%- if replacement == '' -%}
        {{ return(ref('rfm', name)) }}
    {%- endif -%}
    {{ return(ref(project_name, rfm_identifier(replacement, "var rfm_seeds: " ~ name))) }}
{% endmacro %}
