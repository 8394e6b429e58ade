"""A model whose inputs did not change since it was built is kept, not built again (docs/incremental.md, "Kept
models"): a run with nothing new rebuilds nothing and publishes nothing, and any change to what a model is built
from (a seed's content, a raw row, a var, its table gone, a build that failed) builds it again. The state
machine of test_incremental_stateful.py checks that the marts still equal a full refresh after every kind of
change; this checks which models were kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from conftest import Workspace, copy_project
from incremental_pair import edit_segment_map

KEPT = "KEPT (inputs unchanged)"
MODELS = ("build", "--exclude-resource-type", "test", "unit_test", "snapshot")


def run_messages(ws: Workspace, *args: str, vars: dict | None = None, expect_ok: bool = True) -> dict[str, str]:
    """Each model of the run: its name -> KEPT, or the status it got."""
    ws.dbt(*args, vars=vars, write_json=True, expect_ok=expect_ok)
    results = json.loads((ws.root / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: KEPT if r["message"] == KEPT else r["status"]
            for r in results if r["unique_id"].startswith("model.")}


def kept(messages: dict[str, str]) -> set[str]:
    return {name for name, message in messages.items() if message == KEPT}


def mart_rows(ws: Workspace, mart: str = "customer_rfm") -> list[tuple]:
    return ws.query(f"select * from main.{mart} order by all")


def test_nothing_new_keeps_every_model_and_the_published_copy(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    # the first incremental run after a full build builds what reads an incremental model (their SQL differs
    # between the two modes); the run after it has nothing to do
    first = run_messages(ws, *MODELS)
    assert "int_orders_validated" not in kept(first)
    published = ws.published_path.stat().st_mtime_ns
    again = run_messages(ws, *MODELS)
    assert kept(again) == set(again), sorted(set(again) - kept(again))
    assert len(again) > 30
    assert ws.published_path.stat().st_mtime_ns == published
    assert mart_rows(ws) == mart_rows(demo_build)

    # the published copy gone: published again, though every model is kept
    ws.published_path.unlink()
    proc = ws.dbt(*MODELS)
    assert "the published copy is kept" not in proc.stdout
    assert ws.published_path.exists()


def test_a_mart_dropped_or_a_raw_row_changed_is_built_again(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    run_messages(ws, *MODELS)
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("drop table main.rfm_segment_summary")
    messages = run_messages(ws, *MODELS)
    assert set(messages) - kept(messages) == {"rfm_segment_summary"}
    assert mart_rows(ws, "rfm_segment_summary") == mart_rows(demo_build, "rfm_segment_summary")

    # a raw row changed in place (not through a load): everything that reads raw.customers is built again
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update raw.customers set email = 'changed@example.com' where customer_id ="
                    " (select min(customer_id) from raw.customers)")
    messages = run_messages(ws, *MODELS)
    assert {"stg_raw__customers", "int_customers_validated", "customer_rfm"} <= set(messages) - kept(messages)
    assert "stg_raw__orders" in kept(messages)


def test_a_seed_edit_builds_what_reads_the_seed(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    ws.project = copy_project(tmp_path / "project")
    run_messages(ws, *MODELS)
    edit_segment_map(ws.project, (1, 1, 1), "champions")
    # `dbt run` reads the seed's table, which `dbt seed` has not reloaded yet: nothing changed
    messages = run_messages(ws, "run")
    assert kept(messages) == set(messages)
    messages = run_messages(ws, *MODELS)
    built = set(messages) - kept(messages)
    assert {"customer_rfm", "rfm_segment_summary"} <= built
    assert not {"int_orders_validated", "int_customers_validated", "int_customer_order_facts"} & built
    full = ws.clone(tmp_path / "full")
    full.dbt(*MODELS, "--full-refresh")
    assert mart_rows(ws) == mart_rows(full)
    assert mart_rows(ws) != mart_rows(demo_build)


def test_a_var_change_or_a_failed_build_builds_again(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    run_messages(ws, *MODELS)
    # a var the scoring reads: the scoring and what reads it are built, the validation is kept
    messages = run_messages(ws, *MODELS, vars={"rfm_tie_policy": "shared"})
    assert "customer_rfm" not in kept(messages)
    assert "int_orders_validated" in kept(messages)

    # a build that failed forgets what the table was built from (before it changed anything), so a run with
    # the same inputs as its last good build does not keep it
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("alter table main.int_customers_scored rename to scored_away")
    messages = run_messages(ws, "run", "--full-refresh", "--select", "customer_rfm", expect_ok=False)
    assert messages == {"customer_rfm": "error"}
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("alter table main.scored_away rename to int_customers_scored")
        assert con.execute("select count(*) from main.rfm_build_signatures"
                           " where unique_id = 'model.rfm.customer_rfm'").fetchone() == (0,)
    messages = run_messages(ws, *MODELS, vars={"rfm_tie_policy": "shared"})
    assert set(messages) - kept(messages) == {"customer_rfm"}


def test_orders_read_from_files_are_never_kept(demo_build: Workspace, tmp_path: Path) -> None:
    """A source read from files (dbt-duckdb's external_location) is not hashed: what reads it is always built."""
    ws = demo_build.clone(tmp_path / "ws")
    ws.project = copy_project(tmp_path / "project")
    orders = tmp_path / "orders.parquet"
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute(f"copy raw.orders to '{orders}' (format parquet)")
        con.execute("drop table raw.orders")
    sources = ws.project / "models" / "staging" / "raw" / "_raw__sources.yml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("      - name: orders\n", "      - name: orders\n        config:\n"
                                    f"          external_location: '{orders}'\n", 1), encoding="utf-8")
    run_messages(ws, *MODELS)
    messages = run_messages(ws, *MODELS)
    assert {"stg_raw__orders", "int_orders_validated", "customer_rfm"} <= set(messages) - kept(messages)
    assert "stg_raw__customers" in kept(messages)
    assert mart_rows(ws) == mart_rows(demo_build)
