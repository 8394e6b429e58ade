{%- set email_events = rfm_optional_relation(
    source('raw', 'email_events'),
    {'customer_id': 'string', 'event_type': 'string', 'occurred_at': 'string'}
) %}

with

source as (

    select * from {{ email_events }}

),

cleaned as (

    select
        {{ rfm_clean_text('customer_id') }} as customer_id,
        lower({{ rfm_clean_text('event_type') }}) as event_type,
        {{ rfm_clean_text('occurred_at') }} as occurred_at_text

    from source

),

parsed as (

    select
        customer_id,
        event_type,
        occurred_at_text,
        {{ rfm_parse_timestamp('occurred_at_text') }} as occurred_at

    from cleaned

),

final as (

    select
        customer_id,
        event_type,
        occurred_at_text,
        occurred_at,
        cast(occurred_at as date) as occurred_date

    from parsed

)

select * from final
