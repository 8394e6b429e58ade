"""Incremental daily runs give the same marts as `dbt build --full-refresh` (docs/incremental.md).

A day of orders is appended to a built demo: new orders, a partial refund of an old order, a late-arriving
row dated inside the lookback, a late row far outside it, a conflicting duplicate of an old order (which
rejects it and orphans nothing new), and a new customer record sharing an old customer's email and
created earlier (the merge moves that customer's orders to the new id). The incremental build must then
equal a full refresh on the same raw data, mart by mart, row by row.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import DemoData, Workspace, generate_demo
from oracle import CUSTOMER_COLUMNS, ORDER_COLUMNS

MARTS = ("customer_rfm", "rfm_segment_summary", "int_purchases_aggregated_to_customers")
# the dirty demo has statuses missing from the seed on purpose: they are rejected, the build goes on
DIRTY = {"rfm_unknown_status_severity": "warn"}
BUILD = ("build", "--select", "+customer_rfm", "+rfm_segment_summary", "--indirect-selection", "cautious")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows([{c: row.get(c) or "" for c in columns} for row in rows])
    return path


# customer_rfm also carries segment-history columns, which depend on the runs before by design: the
# comparison is on the RFM result itself
CORE_COLUMNS = {
    "customer_rfm": "customer_id, as_of_date, first_order_date, last_order_date, recency_days, frequency, monetary,"
    " r_score, f_score, m_score, rfm_cell, segment_code, segment_name, email, first_name, country,"
    " accepts_marketing, is_known_customer",
}


def mart_rows(ws: Workspace, mart: str) -> list[tuple]:
    return ws.query(f"select {CORE_COLUMNS.get(mart, '*')} from main.{mart} order by all")


def next_day(orders: list[dict[str, str]], customers: list[dict[str, str]]) -> tuple[list, list]:
    """The day after the demo's last day, with the awkward cases of docs/incremental.md."""
    purchases = [o for o in orders if not o["refund_of_order_id"] and o["status"] in ("completed", "shipped")]
    old, recent = purchases[10], purchases[-40]
    new_orders = [
        {**o, "order_id": f"N{i:07d}", "ordered_at": "2026-07-01" + o["ordered_at"][10:]}
        for i, o in enumerate(purchases[-300:-280])
    ]
    new_orders += [
        # partial refund of an old order, dated today
        {"order_id": "N9000001", "customer_id": old["customer_id"], "ordered_at": "2026-07-01 10:00:00",
         "order_total": "-1.00", "status": "completed", "currency": old["currency"],
         "refund_of_order_id": old["order_id"]},
        # late-arriving row inside the lookback, and one long before it
        {**recent, "order_id": "N9000002", "ordered_at": "2026-06-29 08:00:00"},
        {**purchases[20], "order_id": "N9000003", "ordered_at": "2024-02-01 08:00:00"},
        # conflicting duplicate of an old order: both copies are now rejected
        {**purchases[30], "order_total": "999.99"},
    ]
    # a person who signs up again with an earlier creation date takes over an old customer's orders
    merged = next(c for c in customers if c["email"] and c["customer_id"] == old["customer_id"])
    new_customers = [{**merged, "customer_id": "C9999999", "created_at": "2020-01-01 00:00:00"}]
    return orders + new_orders, customers + new_customers


@pytest.fixture(scope="module")
def dirty_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    return generate_demo(tmp_path_factory.mktemp("incremental_data"), "--dirty-share", "0.05")


def test_incremental_day_equals_full_refresh(tmp_path: Path, dirty_demo: DemoData) -> None:
    ws = Workspace(tmp_path / "incremental")
    ws.load(dirty_demo.orders, dirty_demo.customers)
    ws.dbt(*BUILD, vars=DIRTY)
    facts_before = ws.query("select count(*) from main.int_customer_order_facts")[0][0]

    orders, customers = next_day(read_rows(dirty_demo.orders), read_rows(dirty_demo.customers))
    day = tmp_path / "day1"
    day.mkdir()
    ws.load(write_rows(day / "orders.csv", orders, ORDER_COLUMNS), write_rows(day / "customers.csv", customers,
                                                                             CUSTOMER_COLUMNS))
    ws.dbt(*BUILD, vars=DIRTY)
    # only the customers touched by the new day were recomputed (their rows carry the new as_of_date)
    as_of = ws.query("select max(as_of_date) from main.int_customer_order_facts")[0][0]
    recomputed = ws.query(f"select count(*) from main.int_customer_order_facts where as_of_date = '{as_of}'")[0][0]
    assert 0 < recomputed < facts_before / 2

    full = ws.clone(tmp_path / "full")
    full.dbt(*BUILD, "--full-refresh", vars=DIRTY)
    for mart in MARTS:
        assert mart_rows(ws, mart) == mart_rows(full, mart), mart

    # a second run with nothing new recomputes only the lookback window, and changes nothing
    ws.dbt(*BUILD, vars=DIRTY)
    for mart in MARTS:
        assert mart_rows(ws, mart) == mart_rows(full, mart), mart


def test_explicit_as_of_date_recomputes_everything(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "as_of")
    past = {"as_of_date": "2025-12-31"}
    ws.dbt(*BUILD, vars=past)
    full = ws.clone(tmp_path / "as_of_full")
    full.dbt(*BUILD, "--full-refresh", vars=past)
    assert mart_rows(ws, "customer_rfm") == mart_rows(full, "customer_rfm")
    # and back to the default date: the stored facts of the explicit date are not reused
    ws.dbt(*BUILD)
    assert mart_rows(ws, "customer_rfm") == mart_rows(demo_build, "customer_rfm")
