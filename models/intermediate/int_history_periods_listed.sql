{{ config(materialized='table') }}
{#- The history's periods (docs/history.md): every closed period of var rfm_history_grain from var
    rfm_history_start up to as_of_date, empty ones included. A period is closed once its scoring date, the
    first day of the next period, is on or before as_of_date. -#}
{%- set grain = rfm_history_grain() -%}
{%- set start = rfm_history_start() -%}
{%- set in_range = 'periods.period_number <= ' ~ start['periods'] if 'periods' in start
    else 'periods.period_start_date >= cast(' ~ dbt.date_trunc(grain, "cast('" ~ start['date'] ~ "' as date)") ~ ' as date)' %}

with

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

period_numbers as (

    {{ dbt.generate_series(rfm_history_period_bound()) }}

),

last_closed_period as (

    select
        cast(
            {{ dbt.dateadd(grain, -1, dbt.date_trunc(grain, 'scoring_window.as_of_date')) }} as date
        ) as period_start_date

    from scoring_window
    where scoring_window.as_of_date is not null

),

periods as (

    select
        cast(
            {{ dbt.dateadd(
                grain, '1 - period_numbers.generated_number', 'last_closed_period.period_start_date'
            ) }} as date
        ) as period_start_date,
        period_numbers.generated_number as period_number

    from period_numbers
    cross join last_closed_period

),

periods_in_range as (

    select
        periods.period_start_date,
        cast({{ dbt.dateadd(grain, 1, 'periods.period_start_date') }} as date) as as_of_date

    from periods
    where {{ in_range }}

),

final as (

    select
        periods_in_range.period_start_date,
        periods_in_range.as_of_date,
        '{{ grain }}' as period_grain,
        lag(periods_in_range.period_start_date) over (order by periods_in_range.period_start_date)
            as previous_period_start_date,
        lag(periods_in_range.as_of_date) over (order by periods_in_range.period_start_date) as previous_as_of_date,
        -- customer_rfm's previous period: the last one scored before as_of_date
        coalesce(
            periods_in_range.as_of_date = max(
                case when periods_in_range.as_of_date < scoring_window.as_of_date then periods_in_range.as_of_date end
            ) over (),
            false
        ) as is_latest_before_as_of_date

    from periods_in_range
    cross join scoring_window

)

select * from final
