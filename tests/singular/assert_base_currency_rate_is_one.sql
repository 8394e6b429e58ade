-- seeds/currency_rates.csv holds rates to the base currency (var rfm_base_currency): when the base has a row
-- of its own, its rate must be 1, or the seed was not re-based after the base changed.
{%- set failures_sql -%}
    select
        {{ rfm_sentence(
            "currency_rates has rate {} for the base currency " ~ rfm_base_currency()
            ~ "; rates must be to the base, so re-base the seed",
            ["rate_to_base"]
        ) }} as failure_message
    from {{ rfm_seed('currency_rates') }}
    where currency_code = '{{ rfm_base_currency() }}' and rate_to_base <> 1
{%- endset %}

{{ rfm_fail_with_messages(failures_sql, "seeds/currency_rates.csv is not based on " ~ rfm_base_currency()) }}
