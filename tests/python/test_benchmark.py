"""scripts/benchmark.py: the per-model timings come from dbt's run_results.json, and its bare query (the floor
it compares dbt with) gives dbt's scores on clean data and runs on dirty data."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
from conftest import PROJECT_DIR, DemoData, Workspace

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


SCORED = "customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, segment_code"


def bare_rfm(db: Path) -> list[tuple]:
    """The bare query run on the raw tables of the database `db`: its per-customer rows, sorted."""
    with duckdb.connect(str(db)) as con:
        con.execute(benchmark.bare_sql())
        return con.execute(f"select {SCORED} from bare_rfm order by customer_id").fetchall()


def test_bare_query_scores_the_clean_demo_like_dbt_and_runs_on_the_dirty_one(
        demo_build: Workspace, dirty_demo_data: DemoData, tmp_path: Path) -> None:
    clean_db = shutil.copyfile(demo_build.db_path, tmp_path / "clean.duckdb")
    expected = demo_build.query(f"select {SCORED} from main.customer_rfm order by customer_id")
    assert expected and bare_rfm(clean_db) == expected
    # On the dirty shape (text that does not parse, missing ids) the floor is still measured, not an error.
    dirty = Workspace(tmp_path / "dirty")
    dirty.load(dirty_demo_data.orders, dirty_demo_data.customers)
    assert len(bare_rfm(dirty.db_path)) > 0.9 * len(expected)


def test_memory_target_holds_for_every_build_at_the_largest_size() -> None:
    """A build over 2 GiB misses the target whichever it is: the RFM models' or the whole project's, clean or dirty."""
    def measure(peak_gib: float) -> benchmark.Measure:
        return benchmark.Measure("build", 10_000_000, 30.0, int(peak_gib * benchmark.GiB), 0)

    def size(peak: float, whole: float | None) -> benchmark.SizeResult:
        return benchmark.SizeResult(10_000_000, measure(peak), measure(peak), measure(1), measure(1),
                                    whole=None if whole is None else measure(whole))

    def dirty(peak: float, whole: float | None) -> benchmark.DirtyResult:
        return benchmark.DirtyResult(10_000_000, 0.05, measure(peak), measure(1), 1, 0, 1, {},
                                     None if whole is None else measure(whole))

    assert benchmark.memory_target_line(size(1.8, None), None) == (
        "- peak memory at 10,000,000 orders <= 2 GiB: build 1.80 GiB: **met**.")
    assert benchmark.memory_target_line(size(1.8, 1.9), dirty(1.7, 1.95)).endswith(
        "build 1.80 GiB, dirty 1.70 GiB, whole project 1.90 GiB, whole project, dirty 1.95 GiB: **met**.")
    for missed in [(size(1.8, 2.07), dirty(1.7, 1.9)), (size(1.8, 1.9), dirty(2.1, 1.9)),
                   (size(1.8, 1.9), dirty(1.7, 2.06)), (size(2.01, None), None)]:
        assert benchmark.memory_target_line(*missed).endswith(": **missed**."), missed
