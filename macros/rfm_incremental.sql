{#- Incremental daily runs (docs/incremental.md). -#}

{% macro rfm_incremental_lookback_days() %}
    {#- Days before the previous scoring date whose rows are looked at again on every incremental run, on
        top of the customers whose rows changed: late refunds start to count as the scoring date moves. -#}
    {{ return(rfm_int_var('rfm_incremental_lookback_days', 0, 3650)) }}
{% endmacro %}

{% macro rfm_customer_order_facts_reset() %}
    {#- Pre-hook of int_customer_order_facts: empties the stored facts, so that the run recomputes every
        customer, when they cannot be reused: an explicit as_of_date (now or in the run that stored them),
        or a scoring date that moved backwards. -#}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            {{ 'true' if rfm_as_of_date_literal() is not none else 'false' }}
            or exists (
                select 1
                from {{ this }} as previous
                cross join {{ ref('int_as_of_dates_resolved') }} as scoring_window
                where
                    previous.is_as_of_date_explicit
                    or scoring_window.as_of_date is null
                    or previous.as_of_date > scoring_window.as_of_date
            )
    {%- endif -%}
{% endmacro %}
