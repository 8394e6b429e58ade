{{ config(materialized='table') }}
{#- Predicted customer lifetime value (docs/retention.md): per customer of int_customers_valued, with the
    parameters of seeds/clv_parameters.csv (scripts/fit_clv.py), the BG/NBD probability of being alive and
    expected purchases at the end of each of the next rfm_clv_horizon_months months, the Gamma-Gamma expected
    value of a purchase day, and the discounted value of the purchases expected month by month.
    Expected purchases by Fader, Hardie and Lee (2005), eq. 10. Its ((alpha + T) / (alpha + T + t))^(r + x)
    2F1(r + x, b + x; a + b + x - 1; z), z = t / (alpha + T + t), is by Euler's transformation
    (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z), a series whose coefficients do not grow with x
    (the original's peak after about x z / (1 - z) terms). The coefficients depend on x only and are computed
    once per x; the series is evaluated once per distinct (x, T) and month, with the terms a bound says it
    needs; customers with the same x and T share it. -#}
{%- set double = rfm_type_double() -%}
{%- set terms = rfm_clv_series_terms() -%}
{%- set days_per_month = 365.25 / 12 %}
{#- Days per time unit as a double: a decimal divisor makes Spark's division decimal, rounded to a few
    digits. -#}
{%- set unit_days = "cast(case when parameters.time_unit = 'weeks' then 7 else 1 end as " ~ double ~ ")" %}
{#- ln(1e-20): a series stops once a bound of the rest is below 1e-20 (what it multiplies, (a + b + x - 1) /
    (a - 1), stays far below 1e11 for fitted parameters) -#}
{%- set log_tolerance = -46.0517018599 %}
{#- Terms are summed as exact decimals, in any order the engine likes, to the same result. -#}
{%- set exact_term = 'decimal(38, 30)' %}

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

    -- n = 0 .. terms - 1
    select cast(generated_number - 1 as {{ dbt.type_int() }}) as term_number
    from ({{ dbt.generate_series(terms) }}) as series_numbers

),

summaries as (

    -- frequency x, recency t_x and age T in the parameters' time unit
    select
        valued_customers.customer_id,
        valued_customers.repeat_purchase_days,
        valued_customers.tenure_days,
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

series_shapes as (

    -- one series per repeat purchase count x: 2F1(A, B; C; z) with A = a + b - 1 - r, B = a - 1 > 0 (the seed's
    -- test keeps a above 1) and C = a + b + x - 1 > A
    select distinct
        repeat_purchase_days,
        a + b - 1 - r as series_a,
        a - 1 as series_b,
        a + b + x - 1 as series_c

    from summaries

),

coefficient_ratios as (

    -- coefficient n over coefficient n - 1: (A + n - 1)(B + n - 1) / ((C + n - 1) n)
    select
        series_shapes.repeat_purchase_days,
        series_shapes.series_a,
        series_shapes.series_b,
        term_numbers.term_number,
        case
            when term_numbers.term_number = 0 then 1
            else
                (series_shapes.series_a + term_numbers.term_number - 1)
                * (series_shapes.series_b + term_numbers.term_number - 1)
                / ((series_shapes.series_c + term_numbers.term_number - 1) * term_numbers.term_number)
        end as coefficient_ratio

    from series_shapes
    cross join term_numbers

),

coefficients as (

    -- coefficient n as its sign and the logarithm of its size, running sums over the ratios so that none
    -- overflows (A < 0 makes the first ratios negative; a zero ratio ends the series)
    select
        repeat_purchase_days,
        series_a,
        series_b,
        term_number,
        case
            when sum(case when coefficient_ratio = 0 then 1 else 0 end) over (
                partition by repeat_purchase_days order by term_number rows between unbounded preceding and current row
            ) > 0 then 0
            when mod(sum(case when coefficient_ratio < 0 then 1 else 0 end) over (
                partition by repeat_purchase_days order by term_number rows between unbounded preceding and current row
            ), 2) = 1 then -1
            else 1
        end as coefficient_sign,
        sum(case when coefficient_ratio = 0 then 0 else ln(abs(coefficient_ratio)) end) over (
            partition by repeat_purchase_days order by term_number rows between unbounded preceding and current row
        ) as log_coefficient_size

    from coefficient_ratios

),

coefficient_bounds as (

    -- per x, the largest coefficient, and the last one with what bounds the ratios after it: for n >= N - 1
    -- (N = terms) |ratio n + 1| <= z max(1, (B + N - 1) / N) when A + N - 1 > 0, since C > A and B > 0
    select
        repeat_purchase_days,
        max(case when coefficient_sign <> 0 then log_coefficient_size end) as log_largest_coefficient,
        max(case when term_number = {{ terms - 1 }} then coefficient_sign end) as last_coefficient_sign,
        max(case when term_number = {{ terms - 1 }} then log_coefficient_size end) as log_last_coefficient_size,
        max(
            case
                when term_number = {{ terms - 1 }} and series_a + {{ terms - 1 }} > 0
                    then greatest(1, (series_b + {{ terms - 1 }}) / {{ terms }})
            end
        ) as tail_ratio_factor

    from coefficients
    group by repeat_purchase_days

),

horizon_ends as (

    -- each distinct (x, T) at the end of each horizon month, t in the time unit
    select distinct
        summaries.repeat_purchase_days,
        summaries.tenure_days,
        summaries.alpha + summaries.age as alpha_age,
        summaries.a,
        months.generated_number as horizon_month,
        cast(months.generated_number as {{ double }}) * {{ days_per_month }} / summaries.unit_days as horizon_t

    from summaries
    cross join months

),

horizon_points as (

    -- z, ln(1 - z) and the logarithm of the factor (1 - z)^(a - 1)
    select
        repeat_purchase_days,
        tenure_days,
        horizon_month,
        horizon_t / (alpha_age + horizon_t) as series_z,
        ln(alpha_age / (alpha_age + horizon_t)) as log_one_minus_z,
        (a - 1) * ln(alpha_age / (alpha_age + horizon_t)) as log_factor

    from horizon_ends

),

series_lengths as (

    -- terms needed: with every coefficient at most the largest, what follows term n is below
    -- factor x largest x z^n / (1 - z); n the first where that is below the tolerance, at most N
    select
        horizon_points.*,
        coefficient_bounds.log_largest_coefficient,
        coefficient_bounds.last_coefficient_sign,
        coefficient_bounds.log_last_coefficient_size,
        coefficient_bounds.tail_ratio_factor * horizon_points.series_z as tail_ratio,
        least(
            {{ terms }},
            greatest(
                1,
                cast(ceil(
                    (
                        {{ log_tolerance }} + horizon_points.log_one_minus_z - horizon_points.log_factor
                        - coefficient_bounds.log_largest_coefficient
                    ) / ln(horizon_points.series_z)
                ) as {{ dbt.type_int() }})
            )
        ) as series_length

    from horizon_points
    inner join coefficient_bounds
        on horizon_points.repeat_purchase_days = coefficient_bounds.repeat_purchase_days

),

series_terms as (

    -- the factor times term n, as an exact decimal
    select
        series_lengths.repeat_purchase_days,
        series_lengths.tenure_days,
        series_lengths.horizon_month,
        cast(
            coefficients.coefficient_sign * {{ rfm_bounded_exp(
                'series_lengths.log_factor + coefficients.log_coefficient_size'
                ~ ' + coefficients.term_number * ln(series_lengths.series_z)'
            ) }} as {{ exact_term }}
        ) as scaled_term

    from series_lengths
    inner join coefficients
        on
            series_lengths.repeat_purchase_days = coefficients.repeat_purchase_days
            and series_lengths.series_length > coefficients.term_number

),

series as (

    select
        repeat_purchase_days,
        tenure_days,
        horizon_month,
        cast(sum(scaled_term) as {{ double }}) as scaled_series

    from series_terms
    group by repeat_purchase_days, tenure_days, horizon_month

),

series_bounds as (

    -- what the series leaves out: the terms from its length to N - 1 (below the largest coefficient's), then
    -- those after N - 1, each at most the one before times tail_ratio (null without such a ratio below 1)
    select
        repeat_purchase_days,
        tenure_days,
        horizon_month,
        case
            when series_length < {{ terms }}
                then {{ rfm_bounded_exp(
                    'log_factor + log_largest_coefficient + series_length * ln(series_z) - log_one_minus_z'
                ) }}
            else 0
        end
        + case
            when last_coefficient_sign = 0 then 0
            when tail_ratio < 1
                then {{ rfm_bounded_exp(
                    'log_factor + log_last_coefficient_size + ' ~ (terms - 1) ~ ' * ln(series_z)'
                ) }} * tail_ratio / (1 - tail_ratio)
        end as series_tail_bound

    from series_lengths

),

alive_purchases as (

    -- purchases expected by the month's end from a customer alive at T: (a + b + x - 1) / (a - 1) (1 - the
    -- factor times 2F1)
    select
        series.repeat_purchase_days,
        series.tenure_days,
        series.horizon_month,
        series_bounds.series_tail_bound,
        (series_shapes.series_c / series_shapes.series_b) * (1 - series.scaled_series) as alive_purchases

    from series
    inner join series_bounds
        on
            series.repeat_purchase_days = series_bounds.repeat_purchase_days
            and series.tenure_days = series_bounds.tenure_days
            and series.horizon_month = series_bounds.horizon_month
    inner join series_shapes
        on series.repeat_purchase_days = series_shapes.repeat_purchase_days

),

point_purchases as (

    -- those of the month itself, discounted to as_of_date at the yearly rate
    select
        repeat_purchase_days,
        tenure_days,
        horizon_month,
        series_tail_bound,
        alive_purchases,
        cast(
            (
                alive_purchases - coalesce(
                    lag(alive_purchases) over (
                        partition by repeat_purchase_days, tenure_days order by horizon_month
                    ),
                    0
                )
            ) / power(
                1 + {{ rfm_share_var('rfm_clv_discount_rate') }}, cast(horizon_month as {{ double }}) / 12
            ) as {{ exact_term }}
        ) as discounted_alive_purchases

    from alive_purchases

),

point_values as (

    select
        repeat_purchase_days,
        tenure_days,
        max(
            case when horizon_month = {{ rfm_clv_horizon_months() }} then alive_purchases end
        ) as alive_purchases,
        cast(sum(discounted_alive_purchases) as {{ double }}) as discounted_alive_purchases,
        max(series_tail_bound) as series_tail_bound

    from point_purchases
    group by repeat_purchase_days, tenure_days

),

final as (

    -- a customer's expected purchases are those of one alive, times the probability alive
    select
        dropout_odds.customer_id,
        1 / (1 + dropout_odds.odds_dropped) as probability_alive,
        point_values.alive_purchases / (1 + dropout_odds.odds_dropped) as expected_purchases,
        -- Gamma-Gamma: the customer's mean repeat-day value shrunk to the population mean p v / (q - 1)
        dropout_odds.gamma_gamma_p * (
            dropout_odds.gamma_gamma_v + dropout_odds.x * coalesce(dropout_odds.avg_repeat_day_value, 0)
        ) / (dropout_odds.gamma_gamma_p * dropout_odds.x + dropout_odds.gamma_gamma_q - 1) as expected_order_value,
        point_values.discounted_alive_purchases / (1 + dropout_odds.odds_dropped) as discounted_purchases,
        point_values.series_tail_bound

    from dropout_odds
    inner join point_values
        on
            dropout_odds.repeat_purchase_days = point_values.repeat_purchase_days
            and dropout_odds.tenure_days = point_values.tenure_days

)

select
    customer_id,
    probability_alive,
    expected_purchases,
    expected_order_value,
    discounted_purchases * expected_order_value as predicted_clv,
    series_tail_bound
from final
