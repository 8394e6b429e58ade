"""Determinism, idempotency, surviving a killed build, and hostile vars.

Marts are compared through a hash of their sorted rows, so "identical" means identical to the byte of
every value, not merely the same counts.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from conftest import DIRTY_VARS, DemoData, Workspace, copy_project, generate_demo, once_per_run

MARTS = ("customer_rfm", "rfm_segment_summary", "data_quality_rejects", "data_quality_summary")
# Seeds and models without the tests, where the tests are not the subject (they are row-order blind).
MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def mart_hashes(ws: Workspace) -> dict[str, str]:
    hashes = {}
    for mart in MARTS:
        rows = sorted(ws.query(f"select * from main.{mart}"), key=repr)
        hashes[mart] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return hashes


def shuffled_copy(source: Path, dest: Path, seed: int) -> Path:
    header, *rows = source.read_text(encoding="utf-8").splitlines()
    random.Random(seed).shuffle(rows)
    dest.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def dirty_data(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    return generate_demo(tmp_path_factory.mktemp("dirty"), "--customers", "800", "--dirty-share", "0.05")


def test_row_order_does_not_change_marts(dirty_data: DemoData, tmp_path: Path) -> None:
    results = []
    for seed in (0, 1, 2):
        ws = Workspace(tmp_path / f"shuffle_{seed}")
        orders = dirty_data.orders if seed == 0 else shuffled_copy(dirty_data.orders, ws.root / "o.csv", seed)
        customers = dirty_data.customers if seed == 0 else shuffled_copy(dirty_data.customers, ws.root / "c.csv", seed)
        ws.load(orders, customers)
        ws.dbt("build", *MODELS_ONLY, vars=DIRTY_VARS)
        results.append(mart_hashes(ws))
    assert results[0] == results[1] == results[2]


def test_second_build_changes_nothing(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    before = mart_hashes(ws)
    ws.dbt("build")
    assert mart_hashes(ws) == before


def _wait_for_line(log: Path, needle: str, proc: subprocess.Popen[str], timeout: float) -> bool:
    """Whether dbt's log gets a line containing needle before proc ends or the timeout. Only what the log gained
    since the last look is read: it is half a megabyte by then, and it is looked at 200 times a second."""
    deadline, seen = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists():
            with log.open("rb") as fh:
                fh.seek(seen)
                gained = fh.read()
            complete = gained.rfind(b"\n") + 1  # a line still being written is read again next time
            if needle.encode() in gained[:complete]:
                return True
            seen += complete
        time.sleep(0.005)
    return False


@pytest.fixture(scope="module")
def kill_scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, str], dict[str, str]]:
    """A finished build on a small data set, and the marts a build of a bigger one must end with: built once
    per run, read by the tests of both workers (each kills a clone)."""
    with once_per_run(tmp_path_factory, "kill") as (root, fill):
        previous, reference = Workspace(root / "previous"), Workspace(root / "reference")
        if fill:
            big = generate_demo(root / "big", "--customers", "15000")
            small = generate_demo(root / "small", "--customers", "3000", "--seed", "7")
            previous.load(small.orders, small.customers)
            previous.dbt("build")
            reference.load(big.orders, big.customers)
            reference.dbt("build", *MODELS_ONLY)
            previous.load(big.orders, big.customers)  # raw data is replaced; the marts are still the small ones
    return previous, mart_hashes(previous), mart_hashes(reference)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_killed_build_leaves_marts_whole(
    delay: float, kill_scenario: tuple[Workspace, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    """SIGKILL dbt while the marts are being written: each mart is still its old or its new self."""
    previous, old, new = kill_scenario
    ws = previous.clone(tmp_path / "ws")
    log = ws.root / "logs" / "dbt.log"
    cmd, env, _ = ws.dbt_command("build", *MODELS_ONLY)  # the data tests would only delay the marts' turn
    env.pop("DBT_LOG_LEVEL_FILE")  # the test watches dbt.log for the moment the marts are written
    proc = subprocess.Popen(cmd, cwd=ws.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        assert _wait_for_line(log, "START sql table model main.customer_rfm", proc, timeout=120), \
            "dbt finished before the marts were written; the kill would test nothing"
        time.sleep(delay)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    after = mart_hashes(ws)  # every mart readable after the kill
    for mart in MARTS:
        assert after[mart] in (old[mart], new[mart]), f"{mart} is neither the previous nor the new version"

    ws.dbt("build", *MODELS_ONLY)
    assert mart_hashes(ws) == new


def test_failing_model_leaves_its_previous_table_or_view(demo_build: Workspace, tmp_path: Path) -> None:
    """A mart whose query fails once the previous table is dropped (macros/rfm_materializations.sql): the
    transaction rolls back to the previous table, its rows and its warehouse comment, with nothing left beside
    it; so does a view whose create fails. A table with a key constraint goes through dbt-duckdb's
    materialization, built and rebuilt."""
    ws = replace(demo_build.clone(tmp_path / "ws"), project=copy_project(tmp_path / "project"))
    summary = "select * from main.rfm_segment_summary order by all"
    comment = "select comment from duckdb_tables() where table_name = 'rfm_segment_summary'"
    before, (described,) = ws.query(summary), ws.query(comment)
    assert described[0], "the mart has no comment: persist_docs is not checked"
    model = ws.project / "models" / "marts" / "rfm_segment_summary.sql"
    text = model.read_text(encoding="utf-8").rstrip()
    assert text.endswith("from final")
    # fails on the rows only (not while the contract reads the columns with `limit 0`)
    model.write_text(f"{text}\nwhere error('planted failure in ' || segment_code) is null\n", encoding="utf-8")
    keyed = ws.project / "models" / "marts" / "keyed_table"
    keyed.mkdir()
    (keyed / "keyed_table.sql").write_text("select 1 as keyed_id\n", encoding="utf-8")
    (keyed / "_keyed__models.yml").write_text(
        "models:\n  - name: keyed_table\n    config: {contract: {enforced: true}}\n"
        "    columns: [{name: keyed_id, data_type: integer, constraints: [{type: primary_key}]}]\n", encoding="utf-8")

    view = ws.project / "models" / "staging" / "raw" / "stg_raw__email_events.sql"
    view_sql = "select sql from duckdb_views() where view_name = 'stg_raw__email_events'"
    (defined,) = ws.query(view_sql)
    planted = view.read_text(encoding="utf-8").replace("select * from final", "select planted_gone_column from final")
    view.write_text(planted, encoding="utf-8")

    proc = ws.dbt("run", "--select", "rfm_segment_summary", "stg_raw__email_events", expect_ok=False)
    assert proc.returncode != 0 and "planted failure" in proc.stdout, proc.stdout[-3000:]
    assert "planted_gone_column" in proc.stdout, proc.stdout[-3000:]
    assert ws.query(summary) == before
    assert ws.query(comment) == [described]
    assert ws.query(view_sql) == [defined]
    assert ws.query("select count(*) from duckdb_tables() where table_name like '%__dbt_%'") == [(0,)]
    assert ws.query("select count(*) from duckdb_views() where view_name like '%__dbt_%'") == [(0,)]
    for _ in range(2):  # created, then replaced with its primary key in place
        ws.dbt("run", "--select", "keyed_table")
    assert ws.query("select constraint_type from duckdb_constraints() where table_name = 'keyed_table'"
                    " and constraint_type = 'PRIMARY KEY'") == [("PRIMARY KEY",)]


@pytest.mark.parametrize(
    ("vars_text", "message"),
    [
        ("{as_of_date: \"2024-01-01'; drop table raw.orders; --\"}", "var as_of_date must be a date written YYYY-MM-DD"),
        ("{as_of_date: \"2024-02-30\"}", "var as_of_date is not a real calendar date"),
        ("{rfm_today: \"tomorrow\"}", "var rfm_today must be a date written YYYY-MM-DD"),
        ("{rfm_score_levels: \"4; drop table raw.orders\"}", "var rfm_score_levels must be a whole number from 2 to 9"),
        ("{rfm_tie_policy: random}", "var rfm_tie_policy must be one of split, shared"),
        ("{rfm_base_currency: \"EUR' or 1=1 --\"}", "var rfm_base_currency must be a three-letter currency code"),
        ("{rfm_max_order_total: -1}", "var rfm_max_order_total must be a whole number"),
    ],
)
def test_hostile_vars_are_one_clear_error(vars_text: str, message: str, demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    raw_before = ws.query("select count(*) from raw.orders")
    marts_before = mart_hashes(ws)
    proc = ws.dbt("build", vars=yaml.safe_load(vars_text), expect_ok=False)  # the text as dbt reads --vars
    assert proc.returncode != 0
    assert message in proc.stdout, proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert ws.query("select count(*) from raw.orders") == raw_before
    assert mart_hashes(ws) == marts_before
