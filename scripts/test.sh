#!/usr/bin/env bash
# Every check, non-zero on any failure.
#   bash scripts/test.sh             DuckDB: dbt build on the demo data (seeds, unit tests, models, data
#                                    tests), the pytest suite (oracle, loader, reliability), and sqlfluff
#   bash scripts/test.sh postgres    a throw-away local PostgreSQL server (scripts/engines/postgres.sh),
#   bash scripts/test.sh spark       or a local Spark session (scripts/engines/spark.sh): dbt build on the
#                                    demo data there, then the raw tables and the marts compared with
#                                    DuckDB's (tests/python/test_load_raw_engines.py, test_cross_engine.py),
#                                    a fixed sequence of incremental builds (test_incremental_stateful.py)
#                                    and a host project with this one as a package (test_own_data.py).
#                                    Installs what is missing.
#   bash scripts/test.sh spark-cluster  the same on a throw-away standalone Spark cluster (a master, two
#                                    workers) through its Thrift server (scripts/engines/spark-cluster.sh),
#                                    loaded with load_raw.py over Thrift. Neither Spark suite is in CI (its
#                                    time budget): run both by hand after changing SQL, a profile or the loader.
#   bash scripts/test.sh duckdb ARGS  only the pytest selection ARGS (e.g. tests/python/test_oracle.py -k demo),
#                                    after the same dbt build; a selection that runs no test is not a failure.
# pytest runs on RFM_TEST_WORKERS processes (pytest-xdist, default 2: the machine's cores) and prints the
# slowest tests. A skip outside the allow-list in tests/python/conftest.py fails the run, and so does a full
# suite that collects nothing.
set -euo pipefail

engine="${1:-duckdb}"
shift || true
selection=("$@")
case "$engine" in
    # requirements-clv.txt: the CLV fit and its scipy comparison (tests/python/test_clv.py, test_cross_engine.py)
    duckdb) requirements=(requirements-clv.txt) ;;
    # requirements-analysis.txt: k-means is one of the scripts compared across engines
    postgres | spark | spark-cluster)
        requirements=("requirements-${engine%-cluster}.txt" requirements-analysis.txt requirements-clv.txt) ;;
    *)
        echo "error: unknown engine '$engine' (expected: duckdb, postgres, spark or spark-cluster)" >&2
        exit 2
        ;;
esac
# a sourced script with no arguments sees the caller's: set them to the requirement files
set -- "${requirements[@]}"
source "$(dirname "$0")/_env.sh" "$@"

work="$(mktemp -d)"
if [ "$engine" = duckdb ]; then
    trap 'rm -rf "$work"' EXIT
    # Laid out as a pytest workspace (tests/python/conftest.py), which then starts from this build.
    mkdir -p "$work/demo_build"
    export RFM_DUCKDB_PATH="$work/demo_build/rfm.duckdb" RFM_DUCKDB_TEMP_DIR="$work/duckdb_tmp"
    export RFM_DEMO_BUILD="$work/demo_build"
else
    source "scripts/engines/$engine.sh"
    # Whatever happens, the engine stops and nothing of this run is left behind: an interrupt or a kill
    # ends the script through its EXIT trap too.
    trap 'engine_stop; rm -rf "$work"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    # The example profile is what docs/engines.md promises: test it, not a local copy of it.
    cp profiles.yml.example "$work/profiles.yml"
    export DBT_PROFILES_DIR="$work"
    engine_start "$work"
fi
if [ "$engine" != duckdb ]; then
    # test_cross_engine.py's clean dataset is this same `dbt build` of the demo with the example profile:
    # building it here first too would cost a third engine build for nothing.
    # Two processes, a test file each at a time (--dist loadfile): test_cross_engine.py's builds are shared
    # by its tests, and dbt's waits on the engine overlap with the other file's work. (Not loadgroup: with
    # pytest 9, pytest-xdist 3.8 ignores xdist_group marks and schedules test by test.)
    echo "==> pytest: dbt build of the demo data (clean, dirty, appended) and the raw tables and marts on $engine and on DuckDB" >&2
    RFM_TEST_ENGINES="duckdb,$engine" python -m pytest tests/python/test_cross_engine.py \
        tests/python/test_incremental_stateful.py::test_fixed_sequence_on_other_engine tests/python/test_load_raw_engines.py \
        "tests/python/test_hostile_input.py::test_no_refused_address_is_ever_an_audience_member" \
        tests/python/test_own_data.py::test_host_project_with_the_package_on_other_engines \
        -q -p no:cacheprovider -n "${RFM_TEST_WORKERS:-2}" --dist loadfile --durations=10
    exit 0
fi

echo "==> dbt build on the demo data ($engine)" >&2
# Pin the build day so the data-quality rules do not depend on the clock.
build_vars='{rfm_today: "2026-11-25"}'
python scripts/generate_demo_data.py --out "$work/demo"
python scripts/load_raw.py --orders "$work/demo/orders.csv" --customers "$work/demo/customers.csv"
dbt build --vars "$build_vars" --target-path "$work/demo_build/target" --log-path "$work/logs"

# sqlfluff at the lowest priority while pytest runs: it takes the cores only when pytest's workers leave one
# idle (a worker between tests, the last test alone), so most of its 35 to 50 s cost no time. Its dbt templater
# compiles against a copy of the demo build (an analysis reads a seed's rows), not the one the tests copy.
echo "==> sqlfluff (in the background; its report follows pytest's)" >&2
cp "$RFM_DUCKDB_PATH" "$work/sqlfluff.duckdb"
RFM_DUCKDB_PATH="$work/sqlfluff.duckdb" nice -n 19 \
    sqlfluff lint --processes "${RFM_TEST_WORKERS:-2}" models macros analyses tests >"$work/sqlfluff.log" 2>&1 &
lint=$!
# (|| true: under set -e a failing command in the EXIT trap would replace the script's exit status)
trap 'kill "$lint" 2>/dev/null || true; rm -rf "$work"' EXIT

# The property tests run a fixed seed (tests/python/conftest.py) unless RFM_HYPOTHESIS_SEED names another:
# printed, so that a failure can be replayed.
echo "==> pytest (hypothesis seed ${RFM_HYPOTHESIS_SEED:-fixed}: RFM_HYPOTHESIS_SEED=<seed> explores others)" >&2
status=0
python -m pytest "${selection[@]:-tests/python}" -q -p no:cacheprovider -n "${RFM_TEST_WORKERS:-2}" \
    --dist worksteal --durations=25 || status=$?
# Exit code 5: no test ran. Fine for a targeted selection, a failure for the whole suite.
if [ "$status" -eq 5 ] && [ "${#selection[@]}" -gt 0 ]; then status=0; fi
if [ "$status" -eq 5 ]; then echo "error: the pytest suite collected no test" >&2; fi
if [ "$status" -ne 0 ]; then exit "$status"; fi

echo "==> sqlfluff" >&2
lint_status=0
wait "$lint" || lint_status=$?
cat "$work/sqlfluff.log"
exit "$lint_status"
