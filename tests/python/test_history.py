"""Segment history (docs/history.md): point-in-time scores per period against the oracle and customer_rfm, and
incremental appends that equal a full refresh."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS_DIR, TODAY, DemoData, Workspace

from oracle import expected_customer_rfm, read_customers_csv, read_orders_csv

SCORE_COLUMNS = ("first_order_date", "last_order_date", "recency_days", "frequency", "monetary", "r_score",
                 "f_score", "m_score", "rfm_cell", "segment_code")
HISTORY_SQL = "select * from rfm_segment_history"
# The clone already holds validated orders and the merge map: only the scoring date and the history move.
HISTORY_MODELS = ("int_as_of_dates_resolved", "rfm_segment_history")


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


def test_incremental_append_equals_full_refresh(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "incremental")
    history_vars = {"rfm_history_start": "2025-10-01"}
    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-05-01"})
    before = _history_table(ws)
    # as_of_date 2026-05-01 closes April (scored on May 1st), the last period
    months = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 5)]
    assert {row[2] for row in before} == set(months)

    # Mark a stored row: an incremental run that re-scored old periods would overwrite the mark.
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update rfm_segment_history set rfm_cell = 'old' where period_start_date = date '2026-03-01'")
    ws.dbt("run", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-06-01"})
    appended = _history_table(ws)
    assert ws.query("select count(*) from rfm_segment_history where rfm_cell = 'old'")[0][0] > 0
    new_rows = [row for row in appended if row[2] == date(2026, 5, 1)]
    assert new_rows and len(appended) == len(before) + len(new_rows)
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update rfm_segment_history set rfm_cell = "
                    "cast(r_score as varchar) || cast(f_score as varchar) || cast(m_score as varchar)")
    incremental = _history_table(ws)

    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS, vars={**history_vars, "as_of_date": "2026-06-01"})
    assert _history_table(ws) == incremental

    # Inputs that change (here one March purchase disappears, as after a raw reload) re-score the periods
    # that saw them, whole, and only those.
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update rfm_segment_history set rfm_cell = 'old' where period_start_date >= date '2026-01-01'")
        con.execute(
            "delete from int_orders_validated where order_id = (select min(order_id) from int_orders_validated"
            " where rejection_reason is null and not is_refund and ordered_date between date '2026-03-10'"
            " and date '2026-03-20')"
        )
    ws.dbt("run", "--select", "rfm_segment_history", vars={**history_vars, "as_of_date": "2026-06-01"})
    marked = dict(ws.query("select period_start_date, count(*) from rfm_segment_history where rfm_cell = 'old'"
                           " group by period_start_date"))
    assert set(marked) == {date(2026, 1, 1), date(2026, 2, 1)}
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update rfm_segment_history set rfm_cell = "
                    "cast(r_score as varchar) || cast(f_score as varchar) || cast(m_score as varchar)")
    rescored = _history_table(ws)
    ws.dbt("run", "--full-refresh", "--select", "rfm_segment_history",
           vars={**history_vars, "as_of_date": "2026-06-01"})
    assert _history_table(ws) == rescored != incremental

    # A grain change without --full-refresh is refused, naming the fix.
    proc = ws.dbt("run", "--select", "rfm_segment_history", expect_ok=False,
                  vars={**history_vars, "as_of_date": "2026-06-01", "rfm_history_grain": "week"})
    assert proc.returncode != 0 and "--full-refresh" in proc.stdout


def test_no_history(demo_build: Workspace, tmp_path: Path) -> None:
    """rfm_history_start 0 turns the history off: nothing is scored, customer_rfm keeps its scores."""
    ws = demo_build.clone(tmp_path / "no_history")
    ws.dbt("build", "--full-refresh", "--select", "+customer_rfm", "--indirect-selection", "cautious",
           vars={"rfm_history_start": "0"})
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
