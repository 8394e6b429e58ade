{%- set period_days = rfm_engagement_inactivity_days() %}

with

customers as (

    select * from {{ ref('rfm', 'int_customer_lifecycle_profiles') }}

),

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

customer_ids as (

    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}

),

email_events as (

    select * from {{ ref('rfm', 'stg_raw__email_events') }}

),

scoring as (

    select * from {{ ref('rfm', 'engagement_scoring') }}

),

scoring_date as (

    -- the RFM scoring date; the build day when nothing is scored
    select coalesce(as_of_date, build_date) as scoring_date
    from scoring_window

),

events as (

    -- parseable events up to the scoring date, under the surviving customer id
    select
        coalesce(customer_ids.merged_into_customer_id, email_events.customer_id) as customer_id,
        email_events.event_type,
        email_events.occurred_date,
        coalesce(event_points.points, 0) as points

    from email_events
    cross join scoring_date
    left join customer_ids
        on email_events.customer_id = customer_ids.customer_id
    left join scoring as event_points
        on
            event_points.kind = 'event'
            and email_events.event_type = event_points.code
    where
        email_events.occurred_date is not null
        and email_events.occurred_date <= scoring_date.scoring_date

),

per_customer as (

    select
        customer_id,
        sum(case when event_type = 'open' then 1 else 0 end) as opens,
        sum(case when event_type = 'click' then 1 else 0 end) as clicks,
        sum(case when event_type = 'unsubscribe' then 1 else 0 end) as unsubscribes,
        sum(case when event_type = 'bounce' then 1 else 0 end) as bounces,
        sum(points) as event_points,
        min(occurred_date) as first_event_date,
        max(case when event_type in ('open', 'click') then occurred_date end) as last_engaged_date

    from events
    group by customer_id

),

inactivity as (

    select
        per_customer.*,
        -- inactivity runs from the last open or click (from the first event when there is none)
        {{ rfm_integer_divide(
            dbt.datediff(
                'coalesce(per_customer.last_engaged_date, per_customer.first_event_date)',
                'scoring_date.scoring_date',
                'day'
            ),
            period_days
        ) }} as inactive_periods

    from per_customer
    cross join scoring_date

),

scored as (

    select
        customers.customer_id,
        scoring_date.scoring_date,
        inactivity.customer_id is not null as has_email_events,
        coalesce(inactivity.opens, 0) as opens,
        coalesce(inactivity.clicks, 0) as clicks,
        coalesce(inactivity.unsubscribes, 0) as unsubscribes,
        coalesce(inactivity.bounces, 0) as bounces,
        inactivity.last_engaged_date,
        coalesce(inactivity.inactive_periods, 0) as inactive_periods,
        coalesce(inactivity.event_points, 0)
        + coalesce(inactivity.inactive_periods, 0) * coalesce(inactivity_points.points, 0) as engagement_score

    from customers
    cross join scoring_date
    left join inactivity
        on customers.customer_id = inactivity.customer_id
    left join scoring as inactivity_points
        on inactivity_points.kind = 'inactivity'

),

final as (

    select
        scored.customer_id,
        scored.scoring_date,
        scored.has_email_events,
        cast(scored.opens as integer) as opens,
        cast(scored.clicks as integer) as clicks,
        cast(scored.unsubscribes as integer) as unsubscribes,
        cast(scored.bounces as integer) as bounces,
        scored.last_engaged_date,
        cast(scored.inactive_periods as integer) as inactive_periods,
        cast(scored.engagement_score as integer) as engagement_score,
        tiers.code as engagement_tier

    from scored
    left join scoring as tiers
        on
            tiers.kind = 'tier'
            and scored.engagement_score >= coalesce(tiers.min_score, scored.engagement_score)
            and scored.engagement_score <= coalesce(tiers.max_score, scored.engagement_score)

)

select
    customer_id,
    scoring_date,
    has_email_events,
    opens,
    clicks,
    unsubscribes,
    bounces,
    last_engaged_date,
    inactive_periods,
    engagement_score,
    engagement_tier
from final
