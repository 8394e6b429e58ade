with

customer_segments as (

    select * from {{ ref('rfm', 'customer_segments') }}

),

messages as (

    select * from {{ ref('rfm', 'segment_messages') }}

),

memberships as (

    -- one row per customer per segmentation, consenting customers with an email only (any refusal of
    -- the address made accepts_marketing false; the address is normalised again, the same way as in
    -- staging, so that an upstream edit cannot split one person into two addresses)
    select
        'lifecycle' as segmentation,
        customer_id,
        {{ rfm_normalize_email('email') }} as email,
        first_name,
        concern,
        lifecycle_segment_code as segment_code,
        lifecycle_segment_name as segment_name

    from customer_segments
    where accepts_marketing and {{ rfm_normalize_email('email') }} is not null

    union all

    select
        'rfm' as segmentation,
        customer_id,
        {{ rfm_normalize_email('email') }} as email,
        first_name,
        concern,
        rfm_segment_code as segment_code,
        rfm_segment_name as segment_name

    from customer_segments
    where
        accepts_marketing
        and {{ rfm_normalize_email('email') }} is not null
        and rfm_segment_code is not null

),

deduplicated as (

    -- one row per address and segmentation: one person, one message
    select
        memberships.*,
        row_number() over (
            partition by memberships.segmentation, memberships.email order by memberships.customer_id asc
        ) as email_rank

    from memberships

),

with_messages as (

    -- the message for the segment and the declared concern, else the segment's default message
    select
        deduplicated.segmentation,
        deduplicated.segment_code,
        deduplicated.segment_name,
        deduplicated.customer_id,
        deduplicated.email,
        deduplicated.first_name,
        deduplicated.concern,
        coalesce(for_concern.message_theme, by_default.message_theme) as message_theme,
        coalesce(for_concern.offer, by_default.offer) as offer,
        coalesce(for_concern.channel, by_default.channel) as channel

    from deduplicated
    left join messages as for_concern
        on
            deduplicated.segmentation = for_concern.segmentation
            and deduplicated.segment_code = for_concern.segment_code
            and deduplicated.concern = for_concern.concern
    left join messages as by_default
        on
            deduplicated.segmentation = by_default.segmentation
            and deduplicated.segment_code = by_default.segment_code
            and by_default.concern is null
    where deduplicated.email_rank = 1

)

select
    segmentation,
    segment_code,
    segment_name,
    customer_id,
    email,
    first_name,
    concern,
    message_theme,
    offer,
    channel
from with_messages
