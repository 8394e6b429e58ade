#!/usr/bin/env bash
# Every check, non-zero on any failure: dbt build on the demo data (seeds, unit tests, models, data
# tests), the pytest suite (oracle, loader, reliability), and sqlfluff.
# Usage: bash scripts/test.sh [duckdb]
set -euo pipefail
source "$(dirname "$0")/_env.sh"

engine="${1:-duckdb}"
if [ "$engine" != duckdb ]; then
    echo "error: unknown engine '$engine' (expected: duckdb)" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export RFM_DUCKDB_PATH="$work/test.duckdb" RFM_DUCKDB_TEMP_DIR="$work/duckdb_tmp"
# Pin the build day so the data-quality rules do not depend on the clock.
build_vars='{rfm_today: "2026-11-25"}'

echo "==> dbt build on the demo data" >&2
python scripts/generate_demo_data.py --out "$work/demo"
python scripts/load_raw.py --orders "$work/demo/orders.csv" --customers "$work/demo/customers.csv"
dbt build --vars "$build_vars" --target-path "$work/target" --log-path "$work/logs"

echo "==> pytest" >&2
status=0
python -m pytest tests/python -q -p no:cacheprovider || status=$?
# Exit code 5 means the selection ran no test: not a failure.
if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi

echo "==> sqlfluff" >&2
sqlfluff lint models macros analyses tests
