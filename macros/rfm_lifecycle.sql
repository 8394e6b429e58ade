{#- Building blocks of the lifecycle segments (docs/lifecycle.md): the rules live in
    seeds/lifecycle_segment_rules.csv and are evaluated as data; these macros hold the conditions once,
    for the models and for the tests. Every bound is inclusive; an empty bound is no condition. -#}

{% macro rfm_lifecycle_rule_matches(profile, rule) -%}
    {#- True when customer `profile` meets every condition of `rule`. A customer without a purchase has no
        days since last order and no cycle, so a rule with such a bound never matches them. -#}
    ({{ rule }}.min_orders is null or {{ profile }}.order_count >= {{ rule }}.min_orders)
    and ({{ rule }}.max_orders is null or {{ profile }}.order_count <= {{ rule }}.max_orders)
    and (
        {{ rule }}.min_days_since_last_order is null
        or {{ profile }}.days_since_last_order >= {{ rule }}.min_days_since_last_order
    )
    and (
        {{ rule }}.max_days_since_last_order is null
        or {{ profile }}.days_since_last_order <= {{ rule }}.max_days_since_last_order
    )
    and (
        {{ rule }}.min_purchase_cycle_days is null
        or {{ profile }}.avg_purchase_cycle_days >= {{ rule }}.min_purchase_cycle_days
    )
    and (
        {{ rule }}.max_purchase_cycle_days is null
        or {{ profile }}.avg_purchase_cycle_days <= {{ rule }}.max_purchase_cycle_days
    )
    and (
        not coalesce({{ rule }}.requires_replenishment_due, false)
        or coalesce({{ profile }}.is_replenishment_due, false)
    )
{%- endmacro %}

{% macro rfm_lifecycle_never_match_reason(rule) -%}
    {#- Why `rule` can match no customer at all, whatever the data (null when it can match): bounds that
        cross, or conditions that exclude each other (the "0 profiles mapped" bug). -#}
    case
        when {{ rule }}.min_orders > {{ rule }}.max_orders
            then 'min_orders is above max_orders'
        when {{ rule }}.min_days_since_last_order > {{ rule }}.max_days_since_last_order
            then 'min_days_since_last_order is above max_days_since_last_order'
        when {{ rule }}.min_purchase_cycle_days > {{ rule }}.max_purchase_cycle_days
            then 'min_purchase_cycle_days is above max_purchase_cycle_days'
        when
            {{ rule }}.min_orders < 0 or {{ rule }}.max_orders < 0
            or {{ rule }}.min_days_since_last_order < 0 or {{ rule }}.max_days_since_last_order < 0
            or {{ rule }}.min_purchase_cycle_days < 0 or {{ rule }}.max_purchase_cycle_days < 0
            then 'a bound is negative'
        when
            {{ rule }}.max_orders < 1
            and (
                {{ rule }}.min_days_since_last_order is not null
                or {{ rule }}.max_days_since_last_order is not null
            )
            then 'max_orders below 1 (never bought) contradicts a days-since-last-order bound'
        when
            {{ rule }}.max_orders < 2
            and (
                {{ rule }}.min_purchase_cycle_days is not null
                or {{ rule }}.max_purchase_cycle_days is not null
                or coalesce({{ rule }}.requires_replenishment_due, false)
            )
            then 'max_orders below 2 contradicts a purchase-cycle condition (a cycle needs two orders)'
    end
{%- endmacro %}

{% macro rfm_optional_relation(relation, columns) %}
    {#- `select * from relation` when it exists in the warehouse, else zero rows with the given columns
        (name -> type; names quoted), so that models over an optional raw table build, empty, when it is absent. At parse
        time nothing is looked up and the relation itself is returned, which keeps the lineage. -#}
    {%- if execute -%}
        {%- set found = none if relation.schema is none else adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
        {%- if found is none -%}
            {%- set typed = [] -%}
            {%- for name, type in columns.items() -%}
                {%- do typed.append(
                    "cast(null as " ~ api.Column.translate_type(type) ~ ") as " ~ adapter.quote(name)
                ) -%}
            {%- endfor -%}
            {{ return("(select " ~ typed | join(", ") ~ " where 1 = 0) as missing_relation") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
