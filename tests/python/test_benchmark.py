"""scripts/benchmark.py takes the per-model timings from dbt's run_results.json, not from its text log."""

from __future__ import annotations

import sys

from conftest import PROJECT_DIR, Workspace

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import benchmark  # noqa: E402


def test_model_times_come_from_run_results(demo_build: Workspace) -> None:
    times = benchmark.model_times(demo_build.root / "target")
    # Every model the demo build ran, and nothing else (no seed, test or snapshot).
    built = {name for (name,) in demo_build.query(
        "select table_name from information_schema.tables where table_schema = 'main'"
    )}
    assert {"customer_rfm", "rfm_segment_summary", "int_orders_validated", "stg_raw__orders"} <= set(times)
    assert set(times) <= built
    assert "rfm_segment_map" not in times and all(seconds > 0 for seconds in times.values())
    assert list(times.values()) == sorted(times.values(), reverse=True)
