{#- Per surviving customer and day, the valid purchases on as_of_date (docs/rules.md: net of the refunds
    dated before it, above zero, inside the scoring window; merged by email): customer_rfm's purchases, by
    day. The input of the cohort triangle and of the buy-till-you-die summary (docs/retention.md). -#}
with

scoring_window as (

    select * from {{ ref('rfm', 'int_as_of_dates_resolved') }}

),

netted as (

    select * from {{ ref('rfm', 'int_purchases_netted') }}

),

merged_customer_ids as (

    -- the few ids merged into another one: every other id maps to itself, so the orders look up a small table
    select * from {{ ref('rfm', 'int_customer_ids_mapped') }}
    where is_merged

),

valid_purchases as (

    select
        coalesce(merged_customer_ids.merged_into_customer_id, netted.customer_id) as customer_id,
        netted.ordered_date,
        netted.net_total_base

    from netted
    cross join scoring_window
    left join merged_customer_ids
        on netted.customer_id = merged_customer_ids.customer_id
    where {{ rfm_is_valid_purchase_on('netted', 'scoring_window.as_of_date') }}

),

final as (

    select
        customer_id,
        ordered_date,
        count(*) as purchases,
        cast(sum(net_total_base) as decimal(38, 2)) as net_total_base

    from valid_purchases
    group by customer_id, ordered_date

)

select * from final
