#!/usr/bin/env bash
# The optional consumer tools, tested for real: MetricFlow answering on the demo (`mf query`), the HTML
# report in headless Chromium, the k-means comparison, and Apache Superset's dashboards in headless Chromium.
# Installs requirements-metricflow.txt, requirements-analysis.txt, requirements-superset.txt (.venv-superset,
# kept between runs: cache it in CI) and Debian's Chromium when missing; here a missing tool is a failure, not
# a skip.
#   bash scripts/test_extras.sh [--install-only]   (--install-only: .ci/run runs these tests in the main suite)
set -euo pipefail
cd "$(dirname "$0")/.."
# .venv-superset installs while .venv does: two pip processes on two cores (from a fresh clone 100 -> 49 s)
bash scripts/superset.sh --install-only &
superset_install=$!
trap 'wait' EXIT
source scripts/_env.sh requirements-metricflow.txt requirements-analysis.txt
bash scripts/install_chromium.sh
wait "$superset_install"

missing=()
[ -x .venv/bin/mf ] || missing+=("mf (requirements-metricflow.txt)")
[ -x /usr/bin/chromium ] || missing+=("/usr/bin/chromium")
python -c "import sklearn, matplotlib" 2>/dev/null || missing+=("scikit-learn/matplotlib (requirements-analysis.txt)")
[ -x .venv-superset/bin/superset ] || missing+=("superset (requirements-superset.txt)")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "error: missing after install: ${missing[*]}" >&2
    exit 1
fi

if [ "${1:-}" = --install-only ]; then exit 0; fi

echo "==> pytest: semantic layer, report in a browser, k-means, Superset in a browser" >&2
RFM_REQUIRE_EXTRAS=1 RFM_TEST_SUPERSET=1 python -m pytest tests/python/test_metricflow.py \
    tests/python/test_report_browser.py tests/python/test_kmeans_segments.py tests/python/test_superset.py -q \
    -p no:cacheprovider --durations=5
