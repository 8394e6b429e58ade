{#- One row per day for MetricFlow's time-based joins (metric_time, cumulative metrics, join_to_timespine).
    The range is fixed and generous rather than read from the marts, so the spine never depends on a build
    and always covers every order date and as_of_date. -#}
with

days as (

    {{ rfm_date_spine(
        datepart='day',
        start_date="cast('2000-01-01' as date)",
        end_date="cast('2050-01-01' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select date_day from final
