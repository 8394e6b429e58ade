{#- Tests of the lifecycle rules (seeds/lifecycle_segment_rules.csv) and of what they produce. -#}

{% test lifecycle_rules_can_match(model) %}
    {#- Fails, naming the rule, when a rule can never match anybody whatever the data: a segment that
        would silently stay empty (the "0 profiles mapped" bug). -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "rule {} (priority {}) can never match: {}",
                ["rules.segment_code", "rules.priority", "rules.never_match_reason"]
            ) }} as failure_message
        from (
            select
                segment_code,
                priority,
                {{ rfm_lifecycle_never_match_reason('rule_rows') }} as never_match_reason
            from {{ model }} as rule_rows
        ) as rules
        where rules.never_match_reason is not null
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ " has rules that can never match") }}
{% endtest %}

{% test lifecycle_segments_not_empty(model) %}
    {#- Warns (severity warn) on each lifecycle segment that holds nobody after priority. -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "lifecycle segment {} holds no customer ({} match its rule on its own)",
                ["audit.segment_code", "audit.matching_customers"]
            ) }} as failure_message
        from {{ model }} as audit
        where not audit.is_unclassified and audit.assigned_customers = 0
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "empty lifecycle segments") }}
{% endtest %}

{% test one_row_per_customer(model, customers_model) %}
    {#- Every customer of `customers_model` has exactly one row in `model`. -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "customer {} has {} rows in " ~ model.identifier,
                ["counted.customer_id", "counted.n_rows"]
            ) }} as failure_message
        from (
            select
                customers.customer_id,
                count(model_rows.customer_id) as n_rows
            from {{ customers_model }} as customers
            left join {{ model }} as model_rows
                on customers.customer_id = model_rows.customer_id
            group by customers.customer_id
            having count(model_rows.customer_id) <> 1
        ) as counted
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "customers without exactly one row in " ~ model.identifier) }}
{% endtest %}
