{#- Tests of the predicted customer lifetime value (docs/retention.md). -#}

{% test clv_parameters_fresh(model, as_of_model) %}
    {#- The CLV parameters were fitted on a calibration period that ends at most var
        rfm_clv_max_parameter_age_days days before as_of_date (severity warn in seeds/_seeds.yml). -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "the CLV parameters were fitted on data up to {} ({} days before as_of_date {}, more than var "
                ~ "rfm_clv_max_parameter_age_days = " ~ rfm_clv_max_parameter_age_days()
                ~ "): run scripts/fit_clv.py --calibration-end {} and dbt build",
                ["aged.calibration_end_date", "aged.age_days", "aged.as_of_date", "aged.as_of_date"]
            ) }} as failure_message
        from (
            select
                parameters.calibration_end_date,
                scoring_window.as_of_date,
                {{ dbt.datediff('parameters.calibration_end_date', 'scoring_window.as_of_date', 'day') }} as age_days
            from {{ model }} as parameters
            cross join {{ as_of_model }} as scoring_window
        ) as aged
        where aged.age_days > {{ rfm_clv_max_parameter_age_days() }}
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "the CLV parameters are stale") }}
{% endtest %}

{% test clv_series_converged(model, max_error) %}
    {#- Every customer's bounded hypergeometric series is within max_error of its sum to infinity. -#}
    {%- set failures_sql -%}
        select
            {{ rfm_sentence(
                "customer {}: the 2F1 series of the expected purchases may be off by {} (null: unbounded; more "
                ~ "than " ~ max_error ~ "): lower var rfm_clv_horizon_months",
                ["customer_id", "series_tail_bound"]
            ) }} as failure_message
        from {{ model }}
        where series_tail_bound is null or series_tail_bound > {{ max_error }}
    {%- endset -%}
    {{ rfm_fail_with_messages(failures_sql, "the CLV series did not converge") }}
{% endtest %}
