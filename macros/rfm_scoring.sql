{#- The scoring steps of docs/rules.md, written once and used twice: by the intermediate models for one
    scoring date (customer_rfm) and by rfm_segment_history for one scoring date per period. `window_keys`
    names the columns of the scoring-window relation that tell its rows apart: none for the single
    as_of_date, ['period_start_date'] for the history. Every window relation has an `as_of_date` column.
    Each macro emits CTEs (`name as (...)`, comma-separated) for the calling model to select from. -#}

{% macro rfm_window_join(left, right, window_keys) -%}
    {%- for key in window_keys %} and {{ left }}.{{ key }} = {{ right }}.{{ key }}{% endfor -%}
{%- endmacro %}

{% macro rfm_window_columns(alias, window_keys) -%}
    {%- for key in window_keys %}{{ alias }}.{{ key }}, {% endfor -%}
{%- endmacro %}

{% macro rfm_netted_purchases_ctes(orders, scoring_windows, customer_ids, window_keys=[]) %}
refunds as (

    -- partial refunds count from their own date, so scoring a past day ignores later refunds
    select
        {{ rfm_window_columns(scoring_windows, window_keys) }}
        {{ orders }}.refund_of_order_id as order_id,
        sum({{ orders }}.order_total_base) as refunded_total_base

    from {{ orders }}
    cross join {{ scoring_windows }}
    where {{ orders }}.is_refund and {{ orders }}.ordered_date <= {{ scoring_windows }}.as_of_date
    group by {{ rfm_window_columns(scoring_windows, window_keys) }}{{ orders }}.refund_of_order_id

),

netted as (

    select
        {{ rfm_window_columns(scoring_windows, window_keys) }}
        {{ orders }}.order_id,
        coalesce({{ customer_ids }}.merged_into_customer_id, {{ orders }}.customer_id) as customer_id,
        {{ orders }}.customer_id as source_customer_id,
        {{ orders }}.ordered_at,
        {{ orders }}.ordered_date,
        {{ orders }}.order_total_base,
        -- 0.00, not 0: a PostgreSQL numeric keeps the scale of each value, and amounts have two decimals
        coalesce(refunds.refunded_total_base, 0.00) as refunded_total_base,
        {{ orders }}.order_total_base + coalesce(refunds.refunded_total_base, 0.00) as net_total_base

    from {{ orders }}
    cross join {{ scoring_windows }}
    left join refunds
        on
            {{ orders }}.order_id = refunds.order_id
            {{- rfm_window_join(scoring_windows, 'refunds', window_keys) }}
    left join {{ customer_ids }}
        on {{ orders }}.customer_id = {{ customer_ids }}.customer_id
    where
        not {{ orders }}.is_refund
        and {{ orders }}.is_purchase_status
        and {{ orders }}.ordered_date <= {{ scoring_windows }}.as_of_date
        and {{ rfm_in_scoring_window(orders ~ '.ordered_date', scoring_windows ~ '.as_of_date') }}

)
{% endmacro %}

{% macro rfm_customer_metrics_ctes(purchases, scoring_windows, window_keys=[]) %}
{#- `purchases` holds the valid purchases (net amount above zero) of every window. -#}
aggregated as (

    select
        {{ rfm_window_columns(purchases, window_keys) }}
        {{ purchases }}.customer_id,
        min({{ purchases }}.ordered_date) as first_order_date,
        max({{ purchases }}.ordered_date) as last_order_date,
        -- order ids are unique among valid purchases (tested), so count(*) counts distinct orders
        count(*) as frequency,
        sum({{ purchases }}.net_total_base) as monetary

    from {{ purchases }}
    group by {{ rfm_window_columns(purchases, window_keys) }}{{ purchases }}.customer_id

),

customer_metrics as (

    select
        {{ rfm_window_columns('aggregated', window_keys) }}
        aggregated.customer_id,
        {{ scoring_windows }}.as_of_date,
        aggregated.first_order_date,
        aggregated.last_order_date,
        -- the engine-specific expansion of datediff can be long
        cast(
            {{ dbt.datediff('aggregated.last_order_date', scoring_windows ~ '.as_of_date', 'day') }} as integer  -- noqa: LT05
        ) as recency_days,
        cast(aggregated.frequency as integer) as frequency,
        cast(aggregated.monetary as decimal(38, 2)) as monetary

    from aggregated
    {% if window_keys -%}
        inner join {{ scoring_windows }}
            on {% for key in window_keys %}{{ ' and ' if not loop.first }}aggregated.{{ key }} = {{ scoring_windows }}.{{ key }}{% endfor %}
    {%- else -%}
        cross join {{ scoring_windows }}
    {%- endif %}

)
{% endmacro %}

{% macro rfm_scores_ctes(customers, window_keys=[]) %}
{#- NTILE scores within each window (docs/rules.md section 7); both tie policies side by side. The best
    customers sort last and land in bucket N. -#}
{%- set levels = rfm_score_levels() -%}
{%- set metrics = [('r', 'recency_days', 'desc'), ('f', 'frequency', 'asc'), ('m', 'monetary', 'asc')] -%}
{%- set partition = ('partition by ' ~ rfm_prefixed(window_keys, customers) | join(', ') ~ ' ') if window_keys else '' -%}
split_scored as (

    select
        {{ customers }}.*,
        {%- for score, metric, direction in metrics %}
            ntile({{ levels }}) over (
                {{ partition }}order by {{ customers }}.{{ metric }} {{ direction }}, {{ rfm_ordering_text(customers ~ '.customer_id') }} asc
            ) as {{ score }}_score_split,
        {%- endfor %}
        {{ levels }} as score_levels

    from {{ customers }}

),

shared_scored as (

    select
        split_scored.*,
    {%- for score, metric, direction in metrics %}
        -- equal values share the lowest bucket any of them reached
        min(split_scored.{{ score }}_score_split) over (
            partition by {{ rfm_window_columns('split_scored', window_keys) }}split_scored.{{ metric }}
        ) as {{ score }}_score_shared
        {{- "," if not loop.last }}
    {%- endfor %}

    from split_scored

)
{% endmacro %}

{% macro rfm_cell(alias) -%}
    {#- R, F and M scores as one string ('344'). -#}
    {{ dbt.concat([
        dbt.cast(alias ~ '.r_score', api.Column.translate_type('string')),
        dbt.cast(alias ~ '.f_score', api.Column.translate_type('string')),
        dbt.cast(alias ~ '.m_score', api.Column.translate_type('string')),
    ]) }}
{%- endmacro %}

{% macro rfm_history_periods_ctes(as_of_dates) %}
{#- CTEs ending in `periods_in_range` (period_start_date, as_of_date): the closed periods of var
    rfm_history_grain from var rfm_history_start to as_of_date. A period is closed once its scoring date, the
    first day of the next period, is on or before as_of_date. Read by rfm_segment_history (what to score) and
    int_segment_history_sequenced (which stored periods belong to this build). -#}
{%- set grain = rfm_history_grain() -%}
{%- set start = rfm_history_start() -%}
period_numbers as (

    {{ dbt.generate_series(rfm_history_period_bound()) }}

),

last_closed_period as (

    select
        cast(
            {{ dbt.dateadd(grain, -1, dbt.date_trunc(grain, as_of_dates ~ '.as_of_date')) }} as date
        ) as period_start_date

    from {{ as_of_dates }}
    where {{ as_of_dates }}.as_of_date is not null

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
    {%- if 'periods' in start %}
    where periods.period_number <= {{ start['periods'] }}
    {%- else %}
    where periods.period_start_date >= cast({{ dbt.date_trunc(grain, "cast('" ~ start['date'] ~ "' as date)") }} as date)
    {%- endif %}

)
{% endmacro %}
