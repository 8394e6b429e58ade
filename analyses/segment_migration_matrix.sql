{#- Migration matrix between the last two periods of rfm_segment_history: one row per segment the customers
    came from ('(new)': not scored before), one column per segment they went to ('(gone)': no longer scored),
    in the segments' display order. Compile it (`dbt compile --select segment_migration_matrix`) and paste the
    SQL into a BI tool, or run it as is. -#}
{%- set labels = [] -%}
{%- if execute -%}
    {%- set segment_rows = run_query(
        'select segment_code from ' ~ rfm_seed('rfm_segments') ~ ' order by display_order, segment_code'
    ) -%}
    {%- set labels = segment_rows.columns[0].values() | list -%}
{%- endif -%}
{%- set labels = labels + ['(gone)'] %}

with

migration as (

    select * from {{ ref('rfm', 'rfm_segment_migration') }}

),

segments as (

    select * from {{ rfm_seed('rfm_segments') }}

),

last_period as (

    select max(period_start_date) as period_start_date
    from migration

),

last_migration as (

    select migration.*
    from migration
    inner join last_period
        on migration.period_start_date = last_period.period_start_date

),

from_rows as (

    select
        '(new)' as from_segment_label,
        0 as display_order

    union all

    select
        segment_code as from_segment_label,
        display_order

    from segments

),

matrix as (

    select
        from_rows.display_order,
        from_rows.from_segment_label,
        {%- for label in labels %}
            coalesce(
                sum(case when last_migration.to_segment_label = '{{ label }}' then last_migration.customers end), 0
            ) as {{ adapter.quote(label) }},
        {%- endfor %}
        coalesce(sum(last_migration.customers), 0) as total

    from from_rows
    left join last_migration
        on from_rows.from_segment_label = last_migration.from_segment_label
    group by from_rows.display_order, from_rows.from_segment_label

)

select * from matrix
order by display_order, from_segment_label
