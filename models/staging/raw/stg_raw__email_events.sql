{%- set events = rfm_input('email_events') %}
{%- set columns = rfm_raw_columns_sql(events, 'email_events') %}
{%- set names = rfm_column_map('email_events') %}
{%- set email_events = rfm_optional_relation(
    events,
    {names['customer_id']: 'string', names['event_type']: 'string', names['occurred_at']: 'string'}
) %}

with

source as (

    select * from {{ email_events }}

),

cleaned as (

    select
        {{ rfm_clean_text(columns['customer_id']) }} as customer_id,
        lower({{ rfm_clean_text(columns['event_type']) }}) as event_type,
        {{ rfm_clean_text(columns['occurred_at']) }} as occurred_at_text

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
