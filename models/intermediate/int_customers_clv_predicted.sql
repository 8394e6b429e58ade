{{ config(materialized='table') }}
{#- Predicted customer lifetime value (docs/retention.md): per customer of int_customers_valued, with the
    parameters of seeds/clv_parameters.csv (scripts/fit_clv.py), the BG/NBD probability of being alive and
    expected purchases at the end of each of the next rfm_clv_horizon_months months, the Gamma-Gamma expected
    value of a purchase day, and the discounted value of the purchases expected month by month.
    Expected purchases by Fader, Hardie and Lee (2005), eq. 10, whose Gauss hypergeometric function
    2F1(r + x, b + x; a + b + x - 1; z) is summed as a bounded series: each term is the previous one times
    (r + x + n)(b + x + n) / ((a + b + x - 1 + n)(n + 1)) z, summed in logarithms (a running sum of the
    logarithms of these ratios) so that no term overflows. -#}
{%- set double = rfm_type_double() -%}
{%- set terms = rfm_clv_series_terms() -%}
{%- set days_per_month = 365.25 / 12 %}
{#- Days per time unit as a double: a decimal divisor makes Spark's division decimal, rounded to a few
    digits. -#}
{%- set unit_days = "cast(case when parameters.time_unit = 'weeks' then 7 else 1 end as " ~ double ~ ")" %}

with

valued_customers as (

    select * from {{ ref('rfm', 'int_customers_valued') }}

),

parameters as (

    select * from {{ rfm_seed('clv_parameters') }}

),

months as (

    {{ dbt.generate_series(rfm_clv_horizon_months()) }}

),

term_numbers as (

    -- n = 0 .. terms - 1, as a double so that ln() and its sums are floating point on every engine
    select cast(generated_number - 1 as {{ double }}) as term_number
    from ({{ dbt.generate_series(terms) }}) as series_numbers

),

summaries as (

    -- frequency x, recency t_x and age T in the parameters' time unit
    select
        valued_customers.customer_id,
        valued_customers.avg_repeat_day_value,
        parameters.bgnbd_r as r,
        parameters.bgnbd_alpha as alpha,
        parameters.bgnbd_a as a,
        parameters.bgnbd_b as b,
        parameters.gamma_gamma_p,
        parameters.gamma_gamma_q,
        parameters.gamma_gamma_v,
        {{ unit_days }} as unit_days,
        cast(valued_customers.repeat_purchase_days as {{ double }}) as x,
        cast(valued_customers.repeat_span_days as {{ double }})
        / {{ unit_days }} as t_x,
        cast(valued_customers.tenure_days as {{ double }})
        / {{ unit_days }} as age

    from valued_customers
    cross join parameters

),

dropout_odds as (

    -- odds that the customer dropped out right after the last purchase (none without a repeat purchase)
    select
        summaries.*,
        case
            when summaries.x > 0
                then {{ rfm_bounded_exp(
                    'ln(summaries.a / (summaries.b + summaries.x - 1)) + (summaries.r + summaries.x)'
                    ~ ' * ln((summaries.alpha + summaries.age) / (summaries.alpha + summaries.t_x))'
                ) }}
            else 0
        end as odds_dropped

    from summaries

),

horizon_ends as (

    -- the end of each horizon month, t in the time unit
    select
        dropout_odds.customer_id,
        dropout_odds.alpha + dropout_odds.age as alpha_age,
        dropout_odds.r + dropout_odds.x as series_a,
        dropout_odds.b + dropout_odds.x as series_b,
        dropout_odds.a + dropout_odds.b + dropout_odds.x - 1 as series_c,
        months.generated_number as horizon_month,
        cast(months.generated_number as {{ double }}) * {{ days_per_month }} / dropout_odds.unit_days as horizon_t

    from dropout_odds
    cross join months

),

horizon_points as (

    -- the series' argument z there, and ((alpha + T) / (alpha + T + t))^(r + x), the factor of the series in
    -- eq. 10, as a logarithm
    select
        customer_id,
        horizon_month,
        series_a,
        series_b,
        series_c,
        horizon_t / (alpha_age + horizon_t) as series_z,
        series_a * ln(alpha_age / (alpha_age + horizon_t)) as log_factor

    from horizon_ends

),

series_terms as (

    -- term n (0..terms - 1) times the factor: exp(log_factor + the logarithms of the ratios up to n)
    select
        horizon_points.customer_id,
        horizon_points.horizon_month,
        term_numbers.term_number,
        horizon_points.series_a,
        horizon_points.series_b,
        horizon_points.series_c,
        horizon_points.series_z,
        horizon_points.log_factor + sum(
            case
                when term_numbers.term_number = 0 then 0
                else
                    ln(horizon_points.series_a + term_numbers.term_number - 1)
                    + ln(horizon_points.series_b + term_numbers.term_number - 1)
                    - ln(horizon_points.series_c + term_numbers.term_number - 1)
                    - ln(term_numbers.term_number)
                    + ln(horizon_points.series_z)
            end
        ) over (
            partition by horizon_points.customer_id, horizon_points.horizon_month
            order by term_numbers.term_number
            rows between unbounded preceding and current row
        ) as log_scaled_term

    from horizon_points
    cross join term_numbers

),

series as (

    -- the factor times 2F1, and what bounds the truncation error: after the last term the ratios tend to z
    -- monotonically, so the tail is below last term x m / (1 - m), m the larger of z and the next ratio
    select
        customer_id,
        horizon_month,
        sum({{ rfm_bounded_exp('log_scaled_term') }}) as scaled_series,
        max(
            case when term_number = {{ terms - 1 }} then {{ rfm_bounded_exp('log_scaled_term') }} end
        ) as last_scaled_term,
        max(
            greatest(
                series_z,
                (series_a + {{ terms - 1 }}) * (series_b + {{ terms - 1 }})
                / ((series_c + {{ terms - 1 }}) * {{ terms }}) * series_z
            )
        ) as tail_ratio

    from series_terms
    group by customer_id, horizon_month

),

expected as (

    select
        series.customer_id,
        series.horizon_month,
        case
            when series.tail_ratio < 1 then series.last_scaled_term * series.tail_ratio / (1 - series.tail_ratio)
        end as series_tail_bound,
        (dropout_odds.a + dropout_odds.b + dropout_odds.x - 1) / (dropout_odds.a - 1)
        * (1 - series.scaled_series) / (1 + dropout_odds.odds_dropped) as expected_purchases

    from series
    inner join dropout_odds
        on series.customer_id = dropout_odds.customer_id

),

monthly as (

    -- purchases expected in each month, discounted to as_of_date at the yearly rate
    select
        customer_id,
        horizon_month,
        series_tail_bound,
        expected_purchases,
        (
            expected_purchases - coalesce(
                lag(expected_purchases) over (partition by customer_id order by horizon_month), 0
            )
        ) / power(
            1 + {{ rfm_share_var('rfm_clv_discount_rate') }}, cast(horizon_month as {{ double }}) / 12
        ) as discounted_purchases

    from expected

),

per_customer as (

    select
        customer_id,
        max(case when horizon_month = {{ rfm_clv_horizon_months() }} then expected_purchases end) as expected_purchases,
        sum(discounted_purchases) as discounted_purchases,
        max(series_tail_bound) as series_tail_bound

    from monthly
    group by customer_id

),

final as (

    select
        dropout_odds.customer_id,
        1 / (1 + dropout_odds.odds_dropped) as probability_alive,
        per_customer.expected_purchases,
        -- Gamma-Gamma: the customer's mean repeat-day value shrunk to the population mean p v / (q - 1)
        dropout_odds.gamma_gamma_p * (
            dropout_odds.gamma_gamma_v + dropout_odds.x * coalesce(dropout_odds.avg_repeat_day_value, 0)
        ) / (dropout_odds.gamma_gamma_p * dropout_odds.x + dropout_odds.gamma_gamma_q - 1) as expected_order_value,
        per_customer.discounted_purchases,
        per_customer.series_tail_bound

    from dropout_odds
    inner join per_customer
        on dropout_odds.customer_id = per_customer.customer_id

)

select
    customer_id,
    probability_alive,
    expected_purchases,
    expected_order_value,
    discounted_purchases * expected_order_value as predicted_clv,
    series_tail_bound
from final
