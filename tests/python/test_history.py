"""Segment history (docs/history.md): point-in-time scores per period against the oracle and customer_rfm, and
incremental appends that equal a full refresh."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS_DIR, TODAY, DemoData, Workspace, build_edited_copy

from oracle import expected_customer_rfm, read_customers_csv, read_orders_csv

SCORE_COLUMNS = ("first_order_date", "last_order_date", "recency_days", "frequency", "monetary", "r_score",
                 "f_score", "m_score", "rfm_cell", "segment_code")
HISTORY_SQL = "select * from rfm_segment_history"
# The clone already holds validated orders and the merge map: only the scoring date and the history move.
HISTORY_MODELS = ("int_as_of_dates_resolved", "int_history_periods_listed", "int_customer_period_facts",
                  "int_purchases_aggregated_to_customers", "int_customers_scored", "rfm_segment_history")


def _by_customer(rows: list[dict]) -> dict[str, dict]:
    return {row["customer_id"]: {c: row[c] for c in SCORE_COLUMNS} for row in rows}


def _history_table(ws: Workspace) -> list[tuple]:
    return ws.query(f"{HISTORY_SQL} order by period_start_date, customer_id")


def test_demo_history_covers_twelve_closed_months(demo_build: Workspace) -> None:
    periods = demo_build.query(
        "select period_start_date, as_of_date, period_grain, count(*) from rfm_segment_history"
        " group by period_start_date, as_of_date, period_grain order by period_start_date"
    )
    (as_of_date,) = demo_build.query("select distinct as_of_date from customer_rfm")[0]
    assert len(periods) == 12
    assert all(grain == "month" and start.day == 1 for start, _, grain, _ in periods)
    # the scoring date of a period is the first day of the next one; the last closed period ends on as_of_date
    assert [end for _, end, _, _ in periods[:-1]] == [start for start, _, _, _ in periods[1:]]
    assert periods[-1][1] <= as_of_date


def test_last_period_equals_customer_rfm(demo_build: Workspace) -> None:
    """The demo's as_of_date (day after the last order, 2026-07-01) is a month boundary: the history's last
    period is customer_rfm, customer by customer (the dbt test history_matches_customer_rfm checks it too)."""
    (last_as_of,) = demo_build.query("select max(as_of_date) from rfm_segment_history")[0]
    current = _by_customer(demo_build.query_dicts("select * from customer_rfm"))
    assert {row["as_of_date"] for row in demo_build.query_dicts("select as_of_date from customer_rfm")} == {last_as_of}
    history = _by_customer(demo_build.query_dicts(f"{HISTORY_SQL} where as_of_date = date '{last_as_of}'"))
    assert history == current


def test_past_period_matches_oracle(demo_build: Workspace, demo_data: DemoData) -> None:
    """A past period is what the oracle computes with as_of_date = its scoring date: later orders and refunds
    leak into nothing."""
    period_start, scoring_date = date(2025, 12, 1), date(2026, 1, 1)
    rows = demo_build.query_dicts(f"{HISTORY_SQL} where period_start_date = date '{period_start}'")
    assert rows and {row["as_of_date"] for row in rows} == {scoring_date}
    expected = expected_customer_rfm(
        read_orders_csv(demo_data.orders), read_customers_csv(demo_data.customers), seeds_dir=SEEDS_DIR,
        as_of_date=scoring_date, today=TODAY,
    )
    assert _by_customer(rows) == {cid: {c: row[c] for c in SCORE_COLUMNS} for cid, row in expected.items()}
    # and it differs from today's scores, or the comparison would prove little
    assert len(expected) < demo_build.query("select count(*) from customer_rfm")[0][0]


def _mark(ws: Workspace, period_start: str) -> None:
    """An extra row in a stored period of the per-period facts: a run that computes the period again deletes it."""
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("insert into int_customer_period_facts select period_start_date, as_of_date, 'MARK', null, null,"
                    " 0, 0, input_signature from int_customer_period_facts"
                    f" where period_start_date = date '{period_start}'"
                    " and customer_id is null")


def _marked(ws: Workspace) -> set[date]:
    marked = "select period_start_date from int_customer_period_facts where customer_id = 'MARK'"
    return {row[0] for row in ws.query(marked)}


def _unmark(ws: Workspace) -> list[tuple]:
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("delete from int_customer_period_facts where customer_id = 'MARK'")
    return _history_table(ws)


def test_incremental_append_equals_full_refresh(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "incremental")
    history_vars = {"rfm_history_start": "2025-10-01"}
    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-05-01"})
    before = _history_table(ws)
    # as_of_date 2026-05-01 closes April (scored on May 1st), the last period
    months = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 5)]
    assert {row[2] for row in before} == set(months)

    # A month later only May is computed: the stored periods keep their marks.
    for month in months:
        _mark(ws, month.isoformat())
    ws.dbt("run", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-06-01"})
    assert _marked(ws) == set(months)
    appended = _unmark(ws)
    new_rows = [row for row in appended if row[2] == date(2026, 5, 1)]
    assert new_rows and len(appended) == len(before) + len(new_rows)
    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-06-01"})
    assert _history_table(ws) == appended

    # Inputs that change (here one March purchase disappears, as after a raw reload) re-compute the periods
    # scored after it, whole, and only those.
    for month in months:
        _mark(ws, month.isoformat())
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute(
            "delete from int_orders_validated where order_id = (select min(order_id) from int_orders_validated"
            " where rejection_reason is null and not is_refund and is_purchase_status"
            " and ordered_date between date '2026-03-10'"
            " and date '2026-03-20')"
        )
    ws.dbt("run", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-06-01"})
    assert _marked(ws) == set(months) - {date(2026, 3, 1), date(2026, 4, 1)}
    rescored = _unmark(ws)
    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-06-01"})
    assert _history_table(ws) == rescored != appended

    # A grain change needs no --full-refresh: the weeks are periods of their own.
    week_vars = {**history_vars, "as_of_date": "2026-06-01", "rfm_history_grain": "week"}
    ws.dbt("run", "--select", *HISTORY_MODELS, vars=week_vars)
    weeks = _history_table(ws)
    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS, vars=week_vars)
    assert _history_table(ws) == weeks and {row[1] for row in weeks} == {"week"}


def test_core_marts_build_with_the_history_broken(tmp_path: Path, demo_data: DemoData) -> None:
    """The history marts fail (here rfm_segment_history reads a table that does not exist): customer_rfm,
    the summary, the lifecycle marts and the audiences are built all the same."""
    def break_history(project: Path) -> None:
        (project / "models" / "marts" / "history" / "rfm_segment_history.sql").write_text(
            "select * from {{ ref('int_customers_scored') }} as scored, no_such_table\n", encoding="utf-8")

    ws = Workspace(tmp_path / "ws")
    proc = build_edited_copy(ws, demo_data, tmp_path, break_history, write_json=True)
    assert proc.returncode != 0
    results = json.loads((ws.root / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    status = {result["unique_id"].split(".")[-1]: result["status"] for result in results
              if result["unique_id"].startswith("model.")}
    assert status["rfm_segment_history"] == "error"
    for mart in ("customer_rfm", "rfm_segment_summary", "customer_lifecycle", "customer_segments", "audience_members",
                 "data_quality_rejects", "data_quality_summary", "rfm_segment_entries", "campaign_flow_audience",
                 "campaign_flow_entrants", "campaign_flow_results"):
        assert status[mart] == "success", mart


def test_no_history(demo_build: Workspace, tmp_path: Path) -> None:
    """rfm_history_start 0 turns the history off: nothing is scored, customer_rfm keeps its scores."""
    ws = demo_build.clone(tmp_path / "no_history")
    ws.dbt("build", "--full-refresh", "--select", "+customer_rfm", "+rfm_segment_history",
           "--indirect-selection", "cautious", vars={"rfm_history_start": "0"})
    assert ws.query("select count(*) from rfm_segment_history")[0][0] == 0
    assert ws.query("select count(previous_segment_code), count(*) filter (where not is_segment_changed)"
                    " from customer_rfm") == [(0, 0)]
    scores = "select customer_id, r_score, f_score, m_score, segment_code from customer_rfm order by all"
    assert ws.query(scores) == demo_build.query(scores)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("rfm_history_grain", "day", "var rfm_history_grain must be one of month, week"),
     ("rfm_history_start", "2025-02-30", "var rfm_history_start is not a real calendar date"),
     ("rfm_history_start", "soon", "var rfm_history_start must be empty, a number of periods")],
)
def test_history_vars_are_validated(tmp_path: Path, name: str, value: str, message: str) -> None:
    ws = Workspace(tmp_path / "vars")
    proc = ws.dbt("compile", "--select", "rfm_segment_history", vars={name: value}, expect_ok=False)
    assert proc.returncode != 0 and message in proc.stdout
