#!/usr/bin/env bash
# The whole demo in one command: .venv with the pinned requirements, a reproducible demo data set,
# loaded into the warehouse of the `rfm` profile, `dbt build`, and the segment summary.
# Usage: bash scripts/demo.sh [--dirty]   (--dirty adds 5 % of bad rows of every kind)
set -euo pipefail

dirty_share=0
case "${1:-}" in
    "") ;;
    --dirty) dirty_share=0.05 ;;
    *) echo "usage: bash scripts/demo.sh [--dirty]" >&2; exit 2 ;;
esac
# a sourced script sees the caller's arguments: _env.sh would take --dirty for a requirements file
set --
source "$(dirname "$0")/_env.sh"

echo "==> generating demo data in data/demo" >&2
python scripts/generate_demo_data.py --out data/demo --dirty-share "$dirty_share"
python scripts/load_raw.py --orders data/demo/orders.csv --customers data/demo/customers.csv

echo "==> dbt build" >&2
# A dirty data set carries unknown statuses and currencies on purpose: report them as warnings instead
# of stopping (its rejected share stays under rfm_reject_share_error; above rfm_reject_share_warn it warns).
severity=$([ "$dirty_share" = 0 ] && echo error || echo warn)
dbt build --vars "{rfm_unknown_status_severity: $severity, rfm_unknown_currency_severity: $severity}"

echo "==> segments" >&2
dbt --quiet show --limit 20 --inline "
    select
        segment_name as segment,
        customers,
        {{ dbt.cast('round(customer_share * 100, 1)', dbt.type_string()) }} as pct_customers,
        revenue,
        {{ dbt.cast('round(revenue_share * 100, 1)', dbt.type_string()) }} as pct_revenue,
        avg_order_value
    from {{ ref('rfm_segment_summary') }}
    order by display_order"
echo "==> data quality" >&2
dbt --quiet show --inline "
    select source, rows_in, rows_valid, rows_rejected, amount_in, amount_rejected
    from {{ ref('data_quality_summary') }}
    order by source desc"
