{#- Tests of the segment history (docs/history.md). -#}

{% test history_matches_customer_rfm(model, customers_model) %}
    {#- The point-in-time property: the history's period scored on customer_rfm's as_of_date holds exactly
        customer_rfm's customers, values, scores and segments. Nothing to compare (and no failure) when
        as_of_date is not the scoring date of a stored period: pytest builds one that is. -#}
    {%- set columns = [
        'first_order_date', 'last_order_date', 'recency_days', 'frequency', 'monetary',
        'r_score', 'f_score', 'm_score', 'rfm_cell', 'segment_code',
    ] -%}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "customer {} differs between " ~ model.identifier ~ " and " ~ customers_model.identifier
                ~ " scored on {} (history segment {}, current segment {})",
                ["coalesce(history.customer_id, current_scores.customer_id)", "current_scores.as_of_date",
                 "history.segment_code", "current_scores.segment_code"]
            ) }} as failure_message
        from (
            select stored_rows.*
            from {{ model }} as stored_rows
            inner join (select distinct as_of_date from {{ customers_model }}) as scored
                on stored_rows.as_of_date = scored.as_of_date
        ) as history
        full outer join (
            select scored_rows.*
            from {{ customers_model }} as scored_rows
            inner join (select distinct as_of_date from {{ model }}) as stored
                on scored_rows.as_of_date = stored.as_of_date
        ) as current_scores
            on history.customer_id = current_scores.customer_id
        where
            history.customer_id is null
            or current_scores.customer_id is null
            {%- for column in columns %}
            or not coalesce(history.{{ column }} = current_scores.{{ column }}, false)
            {%- endfor %}
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ " does not match " ~ customers_model.identifier) }}
{% endtest %}

{% test migration_adds_up(model, history_model) %}
    {#- Per period, the migrations out of the previous period add up to its scored population (customers who
        left included) and the migrations into the period add up to its own (new customers included). -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "period {}: migrations count {} customers before and {} after; " ~ history_model.identifier
                ~ " scores {} in the previous period and {} in this one",
                ["migrated.period_start_date", "migrated.customers_before", "migrated.customers_after",
                 "previous_population.customers", "population.customers"]
            ) }} as failure_message
        from (
            select
                period_start_date,
                previous_period_start_date,
                sum(case when from_segment_code is not null then customers else 0 end) as customers_before,
                sum(case when to_segment_code is not null then customers else 0 end) as customers_after
            from {{ model }}
            group by period_start_date, previous_period_start_date
        ) as migrated
        left join (
            select period_start_date, count(*) as customers
            from {{ history_model }}
            group by period_start_date
        ) as population
            on migrated.period_start_date = population.period_start_date
        left join (
            select period_start_date, count(*) as customers
            from {{ history_model }}
            group by period_start_date
        ) as previous_population
            on migrated.previous_period_start_date = previous_population.period_start_date
        where
            -- a period without scored customers (before the first purchase) has no population row: zero
            migrated.customers_before <> coalesce(previous_population.customers, 0)
            or migrated.customers_after <> coalesce(population.customers, 0)
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, model.identifier ~ " does not add up to the scored population") }}
{% endtest %}
