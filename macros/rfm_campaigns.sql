{#- Holdout groups and uplift of the campaign flows (docs/campaigns.md). -#}

{% macro rfm_holdout_bucket(flow_code, customer_id) -%}
    {#- A number from 0 to 9999 drawn from the md5 of '<flow_code>:<customer_id>': the same for a customer and
        a flow on every engine and in every build, whatever the other customers or the row order. -#}
    ({{ rfm_hash_number(dbt.concat([flow_code, "':'", customer_id])) }} % 10000)
{%- endmacro %}

{% macro rfm_is_holdout(flow_code, customer_id, holdout_share) -%}
    {#- True for the customers a flow holds out: the bucket is below the share in ten-thousandths (a share of
        0.2 holds out buckets 0 to 1999, so about 20 % of the customers). -#}
    ({{ rfm_holdout_bucket(flow_code, customer_id) }} < {{ holdout_share }} * 10000)
{%- endmacro %}

{% macro rfm_flow_conversion_window_days() %}
    {#- A flow entrant converts with a valid purchase dated within this many days from the entry on. -#}
    {{ return(rfm_int_var('rfm_flow_conversion_window_days', 1, 3650)) }}
{% endmacro %}

{% macro rfm_flow_min_group_size() %}
    {#- Below this many treated or holdout entrants a flow's uplift is flagged too small to say anything. -#}
    {{ return(rfm_int_var('rfm_flow_min_group_size', 1, 1000000)) }}
{% endmacro %}

{% macro rfm_double(expression) %}
    {{ return(adapter.dispatch('rfm_double', 'rfm')(expression)) }}
{% endmacro %}

{% macro default__rfm_double(expression) -%}
    cast({{ expression }} as double precision)
{%- endmacro %}

{% macro spark__rfm_double(expression) -%}
    cast({{ expression }} as double)
{%- endmacro %}

{% macro rfm_wilson_bound(successes, trials, sign) -%}
    {#- The lower (sign '-') or upper ('+') Wilson score bound of a proportion at z = 1.96 (95 %), in double
        precision: (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n); null without trials. -#}
    {%- set n = rfm_double('nullif(' ~ trials ~ ', 0)') -%}
    {%- set p = '(' ~ rfm_double(successes) ~ ' / ' ~ n ~ ')' -%}
    (
        ({{ p }} + 3.8416 / (2 * {{ n }})
            {{ sign }} 1.96 * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + 3.8416 / (4 * {{ n }} * {{ n }})))
        / (1 + 3.8416 / {{ n }})
    )
{%- endmacro %}

{% macro rfm_uplift_bound(treated_conversions, treated, holdout_conversions, holdout, side) -%}
    {#- Newcombe's hybrid score interval (his method 10) for the difference of two proportions, treated minus
        holdout, at 95 %: lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2),
        with l, u the Wilson bounds of each group; cast to decimal(9,4). -#}
    {%- set p1 = '(' ~ rfm_double(treated_conversions) ~ ' / ' ~ rfm_double('nullif(' ~ treated ~ ', 0)') ~ ')' -%}
    {%- set p2 = '(' ~ rfm_double(holdout_conversions) ~ ' / ' ~ rfm_double('nullif(' ~ holdout ~ ', 0)') ~ ')' -%}
    {%- set l1, u1 = rfm_wilson_bound(treated_conversions, treated, '-'), rfm_wilson_bound(treated_conversions, treated, '+') -%}
    {%- set l2, u2 = rfm_wilson_bound(holdout_conversions, holdout, '-'), rfm_wilson_bound(holdout_conversions, holdout, '+') -%}
    {%- if side == 'lower' -%}
        cast({{ p1 }} - {{ p2 }} - sqrt(({{ p1 }} - {{ l1 }}) * ({{ p1 }} - {{ l1 }}) + ({{ u2 }} - {{ p2 }}) * ({{ u2 }} - {{ p2 }})) as decimal(9, 4))
    {%- else -%}
        cast({{ p1 }} - {{ p2 }} + sqrt(({{ u1 }} - {{ p1 }}) * ({{ u1 }} - {{ p1 }}) + ({{ p2 }} - {{ l2 }}) * ({{ p2 }} - {{ l2 }})) as decimal(9, 4))
    {%- endif -%}
{%- endmacro %}
