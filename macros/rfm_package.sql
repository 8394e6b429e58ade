{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {#- Installed as a package (docs/package.md), every relation of this project gets the prefix of var
        rfm_relation_prefix (default `rfm_`; names that already start with it keep theirs), so that none
        clashes with the host project's own customer_segments or audience_members. Standalone, names are
        as documented, without prefix. Schemas are left to the host's generate_schema_name. -#}
    {%- set alias = default__generate_alias_name(custom_alias_name, node) | trim -%}
    {#- checked standalone too, so that a bad value fails where it is set, whichever way the project runs -#}
    {%- set prefix = var('rfm_relation_prefix') | string | trim -%}
    {%- if prefix != '' and not modules.re.match('^[a-z_][a-z0-9_]{0,30}$', prefix) -%}
        {{ exceptions.raise_compiler_error("var rfm_relation_prefix must be lower-case letters, digits and _, got " ~ '"' ~ prefix ~ '"') }}
    {%- endif -%}
    {{ alias if project_name == 'rfm' or alias.startswith(prefix) else prefix ~ alias }}
{%- endmacro %}
