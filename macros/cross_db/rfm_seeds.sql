{#- dbt-spark's `session` method pastes seed values between quotes without escaping them, so a value with
    an apostrophe ("Besoin d'attention") breaks the insert. Seed rows go in as escaped literals instead,
    which every Spark connection method reads the same way. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
                (
                {%- for value in row -%}
                    {%- set column_type = column_override.get(
                        agate_table.column_names[loop.index0], adapter.convert_type(agate_table, loop.index0)
                    ) -%}
                    {%- set literal = 'null' if value is none
                        else "'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'" -%}
                    cast({{ literal }} as {{ column_type }}){{ ", " if not loop.last }}
                {%- endfor -%}
                ){{ "," if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {#- the first batch stands for the rest in the compiled seed file, as in dbt's own macro -#}
    {{ return(statements[0]) }}
{% endmacro %}
