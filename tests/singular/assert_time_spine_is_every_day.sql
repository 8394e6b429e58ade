-- metricflow_time_spine holds every day of its documented range once (unique and not_null are its column's
-- tests): on Spark it comes from another generator than dbt.date_spine (macro rfm_date_spine).
{%- set failures_sql -%}
    select
        {{ rfm_sentence(
            "metricflow_time_spine has {} days from {} to {}; expected 18263 from 2000-01-01 to 2049-12-31",
            ["n_days", "first_day", "last_day"]
        ) }} as failure_message
    from (
        select
            count(*) as n_days,
            min(date_day) as first_day,
            max(date_day) as last_day
        from {{ ref('metricflow_time_spine') }}
    ) as spine
    where
        n_days <> 18263
        or first_day <> cast('2000-01-01' as date)
        or last_day <> cast('2049-12-31' as date)
{%- endset %}

{{ rfm_fail_with_messages(failures_sql, "metricflow_time_spine is not every day of 2000-2049") }}
