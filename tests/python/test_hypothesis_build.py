"""Random raw data through the whole `dbt build`: it succeeds and agrees with the oracle, or it stops
with a dbt test message. Never a crash.

Examples mix the awkward cases real exports have: empty tables, one customer, all values equal, huge and
tiny amounts, unicode and quotes in ids and emails, padded and mixed-case text, dates at the edges, bad
values of every kind. The raw tables are written directly (the loader has its own tests), so an example
can also be empty. RFM_HYPOTHESIS_EXAMPLES sets how many examples run (default 15; each is a dbt build).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import SEEDS_DIR, TODAY, Workspace
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from oracle import CUSTOMER_COLUMNS, ORDER_COLUMNS, Row, expected_customer_rfm, expected_rejects

def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """Nine draws in ten from `good`: bad values in every field, yet most rows still make purchases."""
    return st.integers(0, 9).flatmap(lambda k: bad if k == 0 else good)


CUSTOMER_IDS = mostly(st.sampled_from(["c1", "c2", " c1 ", "c'3", 'c"4', "é5", "ß6", "客7"]),
                      st.sampled_from(["", " ", "\t", None, "C1"]))
DATES = mostly(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 25)).map(date.isoformat)
    | st.sampled_from(["2024-02-29", "2024-12-31 23:59:59", "2025-06-30T08:00", "2026-11-25 23:59:59.5"]),
    st.sampled_from(["2023-02-29", "0001-01-01", "9999-12-31", "2026-11-26", "24/12/2024", "2024-01-01Z", "", None]),
)
AMOUNTS = mostly(
    st.decimals(min_value="0.01", max_value=5000, places=2).map(str)
    | st.sampled_from(["10", " 25.5 ", "0.005", ".5", "999999.995"]),
    st.sampled_from(["0.004", "0", "-0", "-5.00", "1000000.01", "123456789012345678", "1e3", "abc", "", None]),
)
STATUSES = mostly(st.sampled_from([None, "completed", " Shipped ", "DELIVERED"]),
                  st.sampled_from(["cancelled", "refunded", "pending", "lost-in-space"]))
CURRENCIES = mostly(st.sampled_from([None, "EUR", " eur", "usd", "GBP"]), st.sampled_from(["XYZ", ""]))
EMAILS = st.sampled_from([None, "", "ann@x.com", " ANN@x.com ", "bob@x.com", "o'neil@x.com", "zoë@x.com"])
# None: the row keeps its own unique id; the others make collisions, copies and missing ids.
ORDER_IDS = mostly(st.none(), st.sampled_from(["o1", "o2", "o'3", "Ö4", "", None]))


@st.composite
def raw_orders(draw: st.DrawFn) -> list[Row]:
    size = draw(st.integers(0, 25))  # drawn first: plain lists stay tiny in the first examples
    rows = draw(st.lists(st.fixed_dictionaries({
        "order_id": ORDER_IDS, "customer_id": CUSTOMER_IDS, "ordered_at": DATES, "order_total": AMOUNTS,
        "status": STATUSES, "currency": CURRENCIES,
    }), min_size=size, max_size=size))
    for i, row in enumerate(rows):
        if row["order_id"] is None and draw(st.integers(0, 9)):
            row["order_id"] = f"order-{i}"
        # A few partial refunds, pointing at an earlier row or at nothing.
        row["refund_of_order_id"] = None
        if i and not draw(st.integers(0, 7)):
            row["refund_of_order_id"] = draw(st.sampled_from([rows[draw(st.integers(0, i - 1))]["order_id"], "nowhere"]))
            row["order_total"] = draw(st.sampled_from(["-1.50", "-0.01", "-99999", "3"]))
    # Exact copies and all-equal rows are the cases NTILE and the de-duplication must handle.
    if rows and draw(st.booleans()):
        rows += [dict(rows[0])] * draw(st.integers(1, 3))
    return rows


CUSTOMERS = st.lists(st.fixed_dictionaries({
    "customer_id": CUSTOMER_IDS, "email": EMAILS, "first_name": st.sampled_from([None, "Ann", "Zoë", "O'Neil"]),
    "created_at": DATES, "country": st.sampled_from([None, "fr", "DE"]),
    "accepts_marketing": st.sampled_from([None, "true", "no", "1", "maybe"]),
}), max_size=10)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace for all examples: each replaces the raw tables, and dbt's partial parse stays warm."""
    return Workspace(tmp_path_factory.mktemp("hypothesis"))


def write_raw(ws: Workspace, orders: list[Row], customers: list[Row]) -> None:
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("create schema if not exists raw")
        for table, columns, rows in (("orders", ORDER_COLUMNS, orders), ("customers", CUSTOMER_COLUMNS, customers)):
            con.execute(f"create or replace table raw.{table} ({', '.join(f'{c} varchar' for c in columns)})")
            if rows:
                placeholders = ", ".join("?" for _ in columns)
                con.executemany(f"insert into raw.{table} values ({placeholders})",
                                [[row[c] for c in columns] for row in rows])


def diff(actual: object, expected: object) -> str:
    return f"\n  dbt:    {actual!r}\n  oracle: {expected!r}"


@settings(max_examples=int(os.environ.get("RFM_HYPOTHESIS_EXAMPLES", "15")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(orders=raw_orders(), customers=CUSTOMERS)
def test_random_raw_data_builds_and_matches_oracle(workspace: Workspace, orders: list[Row], customers: list[Row]) -> None:
    write_raw(workspace, orders, customers)
    # Vars stay the same across examples so dbt's partial parse stays warm; the shared tie policy is
    # checked on the scores int_customers_scored computes beside the split ones.
    proc = workspace.dbt("build", vars={"rfm_unknown_status_severity": "warn"}, expect_ok=False)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and "Unhandled error" not in output, output[-4000:]
    if proc.returncode != 0:
        # Allowed only as a dbt test verdict on the data, never a model or runtime error.
        assert "Failure in test" in proc.stdout and "Runtime Error in model" not in proc.stdout, proc.stdout[-4000:]
        event("build stopped by a dbt test")
        return

    expected = expected_customer_rfm(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY)
    actual = {row["customer_id"]: row for row in workspace.query_dicts("select * from main.customer_rfm")}
    event(f"built; customers scored: {min(len(expected), 3)}{'+' if len(expected) >= 3 else ''}")
    assert actual.keys() == expected.keys(), diff(sorted(actual), sorted(expected))
    for customer_id, row in expected.items():
        mismatched = {k: (actual[customer_id][k], v) for k, v in row.items() if actual[customer_id][k] != v}
        assert not mismatched, f"customer {customer_id!r}: {mismatched}"

    shared = expected_customer_rfm(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY, tie_policy="shared")
    actual_shared = {row[0]: row[1:] for row in workspace.query(
        "select customer_id, r_score_shared, f_score_shared, m_score_shared from main.int_customers_scored"
        " where period_start_date is null")}
    assert actual_shared == {cid: (r["r_score"], r["f_score"], r["m_score"]) for cid, r in shared.items()}

    rejects = Counter(workspace.query("select source, raw_key, rejection_reason from main.data_quality_rejects"))
    expected_rejects_ = Counter(expected_rejects(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY))
    assert rejects == expected_rejects_, diff(sorted(rejects.items(), key=str), sorted(expected_rejects_.items(), key=str))
