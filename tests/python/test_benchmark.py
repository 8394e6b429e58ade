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


def test_node_times_come_from_run_results(demo_build: Workspace) -> None:
    times = benchmark.node_times(demo_build.root / "target")
    # Every model, seed and hook the demo build ran, and nothing else (no test or snapshot).
    built = {name for (name,) in demo_build.query(
        "select table_name from information_schema.tables where table_schema = 'main'"
    )}
    assert {"customer_rfm", "rfm_segment_summary", "int_orders_validated", "stg_raw__orders",
            "rfm_segment_map", "rfm-on-run-end-0"} <= set(times)
    assert set(times) - built == {"rfm-on-run-start-0", "rfm-on-run-start-1", "rfm-on-run-end-0"}
    assert all(seconds >= 0 for seconds in times.values())
    assert list(times.values()) == sorted(times.values(), reverse=True)


def test_time_table_adds_up_the_nodes_run_one_at_a_time() -> None:
    """Slowest first by the first *alone* column; the nodes under 0.1 s everywhere are one row; only the alone
    columns, whose nodes did not overlap, get a total; a node one run lacks is a dash."""
    table = benchmark.time_table({
        "build": {"validated": 9.0, "scored": 2.0, "seed": 0.05, "hook": 0.02},
        "alone": {"validated": 6.0, "scored": 1.5, "seed": 0.04, "hook": 0.01, "kept": 0.2},
    })
    assert table == [
        "| node | build s | alone s |",
        "|---|---:|---:|",
        "| validated | 9.00 | 6.00 |",
        "| scored | 2.00 | 1.50 |",
        "| kept | - | 0.20 |",
        "| 2 others under 0.1 s | 0.07 | 0.05 |",
        "| total |  | **7.75** |",
    ]


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


def test_daily_targets_hold_for_every_daily_run_against_its_own_fixed_cost() -> None:
    """The RFM models' day against dbt's fixed cost, the whole project's against the whole project's; a share or
    an idle run over its target in any of them misses; a mart that differs from the full refresh is named."""
    def measure(seconds: float) -> benchmark.Measure:
        return benchmark.Measure("run", 10_000_000, seconds, 0, 0)

    def daily(label: str, whole: bool, incremental: float, idle: float, full: float,
              differences: dict[str, int] | None = None) -> benchmark.DailyResult:
        return benchmark.DailyResult(label, whole, 0.001, measure(full), measure(incremental), measure(idle),
                                     measure(full), (19, 19), differences or {"customer_rfm": 0}, {}, {})

    fixed, fixed_whole = measure(5.0), measure(8.0)
    rfm = daily("RFM models", False, 7.0, 5.5, 25.0)  # (7 - 5) / (25 - 5) = 10 %
    whole = daily("whole project", True, 12.0, 8.9, 48.0, {"customer_rfm": 0, "customer_clv": 0})  # 4 / 40
    share, idle = benchmark.daily_target_lines([rfm, whole], fixed, fixed_whole)
    assert share == (
        "- daily run (0.1% new orders): (incremental - fixed cost) / (full refresh - fixed cost) <= 15%: "
        "RFM models (7.0 - 5.0) / (25.0 - 5.0) = 10%; whole project (12.0 - 8.0) / (48.0 - 8.0) = 10%: **met**; "
        "marts identical to the full refresh's (1 and 2 marts compared): yes.")
    assert idle == (
        "- the same run again with nothing new <= fixed cost + 1 s: RFM models 5.5 s against 6.0 s (19 of 19 models "
        "kept); whole project 8.9 s against 9.0 s (19 of 19 models kept) (docs/incremental.md): **met**.")
    # Against the RFM models' fixed cost the whole project's idle run would miss, and its share would be wrong.
    slow = daily("whole project, dirty", True, 18.0, 9.5, 48.0, {"customer_clv": 3})
    share, idle = benchmark.daily_target_lines([rfm, slow], fixed, fixed_whole)
    assert "whole project, dirty (18.0 - 8.0) / (48.0 - 8.0) = 25%: **missed**" in share
    assert share.endswith("**NO** (whole project, dirty: customer_clv 3 rows).")
    assert idle.endswith(": **missed**.")
    # At a small size the full refresh can take less than the fixed cost: no share, and not met.
    share, _ = benchmark.daily_target_lines([daily("RFM models", False, 5.2, 5.1, 4.9)], fixed, None)
    assert "RFM models (5.2 - 5.0) / (4.9 - 5.0) = none (too small a size): **missed**" in share
    assert benchmark.daily_target_lines([], fixed, None) == []


def test_differing_rows_counts_each_side_as_a_multiset(tmp_path: Path) -> None:
    for name, rows in [("a", "(1, 'x'), (2, 'y'), (2, 'y')"), ("b", "(1, 'x'), (2, 'y'), (3, 'z')")]:
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            con.execute(f"create table same as select 1 as id; create table mart as from (values {rows}) t(id, v)")
    # a's second (2, 'y') and b's (3, 'z'): a full refresh that keeps a row twice differs too
    assert benchmark.differing_rows(tmp_path / "a.duckdb", tmp_path / "b.duckdb", ["same", "mart"]) == {
        "same": 0, "mart": 2}


def test_built_marts_are_the_tables_under_models_marts(demo_build: Workspace) -> None:
    marts = benchmark.built_marts(demo_build.root / "target")
    tables = {name for (name,) in demo_build.query(
        "select table_name from information_schema.tables where table_schema = 'main' and table_type = 'BASE TABLE'")}
    assert {"customer_rfm", "rfm_segment_summary", "customer_clv", "data_quality_rejects"} <= set(marts) <= tables
    assert marts == sorted(marts) and not [name for name in marts if name.startswith(("int_", "stg_"))]
