"""Incremental daily runs give the same marts as `dbt build --full-refresh` (docs/incremental.md).

A day of orders is appended to a built demo (scripts/load_raw.py --append): new orders, a partial refund of
an old order, a late-arriving row dated inside the lookback, a late row far outside it, a conflicting
duplicate of an old order (which rejects it and orphans its refund), and a new customer record sharing an
old customer's email and created earlier (the merge moves that customer's orders to the new id). The
incremental build must validate only the new rows and the old rows they depend on, and then equal a full
refresh on the same raw data, table by table, row by row; so must a run with nothing new, runs on a later
and an earlier build day, a run after a rules change and a run after the orders were replaced instead of
appended to.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
from conftest import DIRTY_VARS as DIRTY
from conftest import RFM_FIELDS, SEEDS_DIR, TODAY, DemoData, Workspace, assert_rfm_rows_match
from oracle import CUSTOMER_COLUMNS, ORDER_COLUMNS, expected_customer_rfm, parse_bool

MARTS = ("customer_rfm", "rfm_segment_summary", "int_purchases_aggregated_to_customers")
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


def mart_rows(ws: Workspace, mart: str) -> list[tuple]:
    return ws.query(f"select * from main.{mart} order by all")


def next_day(orders: list[dict[str, str]]) -> list[dict[str, str]]:
    """The new order rows of the day after the demo's last day, with the awkward cases of docs/incremental.md."""
    purchases = [o for o in orders if not o["refund_of_order_id"] and o["status"] in ("completed", "shipped")]
    refunded = {o["refund_of_order_id"] for o in orders if o["refund_of_order_id"]}
    old, recent = purchases[10], purchases[-40]
    conflicting = next(o for o in purchases if o["order_id"] in refunded)
    new_orders = [
        {**o, "order_id": f"N{i:07d}", "ordered_at": "2026-07-01" + o["ordered_at"][10:]}
        for i, o in enumerate(purchases[-300:-280])
    ]
    return new_orders + [
        # partial refund of an old order, dated today, under another customer id than the order's (a platform
        # may record it under the account that asked): it reduces the order's customer, who has no other new row
        {"order_id": "N9000001", "customer_id": recent["customer_id"], "ordered_at": "2026-07-01 10:00:00",
         "order_total": "-1.00", "status": "completed", "currency": old["currency"],
         "refund_of_order_id": old["order_id"]},
        # late-arriving row inside the lookback, and one long before it
        {**recent, "order_id": "N9000002", "ordered_at": "2026-06-29 08:00:00"},
        {**purchases[20], "order_id": "N9000003", "ordered_at": "2024-02-01 08:00:00"},
        # conflicting duplicate of an old, refunded order: both copies are now rejected, its refund orphaned
        {**conflicting, "order_total": "999.99"},
        # an exact copy of an old order: the copy is the duplicate
        purchases[40],
    ]


def customer_delta(customers: list[dict[str, str]], orders: list[dict[str, str]]) -> list[dict[str, str]]:
    """The day's new and changed customer records (appended: the latest load of an id wins): a person who
    signs up again with an earlier creation date and so takes over an old customer's orders, a changed email,
    a refusal of marketing, a consent given again after a refusal (the old refusal still wins), and two
    conflicting records of one customer (rejected both: the customer's orders become late-arriving)."""
    old = [o for o in orders if not o["refund_of_order_id"] and o["status"] in ("completed", "shipped")][10]
    merged = next(c for c in customers if c["email"] and c["customer_id"] == old["customer_id"])
    once = Counter(c["customer_id"] for c in customers)
    plain = [c for c in customers if c["customer_id"] and once[c["customer_id"]] == 1 and c["email"]
             and c["customer_id"] != merged["customer_id"]]
    moved, refusing, conflicting = plain[100], plain[200], plain[300]
    refused = next(c for c in plain[301:] if parse_bool(c["accepts_marketing"]) is False)
    return [
        {**merged, "customer_id": "C9999999", "created_at": "2020-01-01 00:00:00"},
        {**moved, "email": "moved.away@example.com"},
        {**refusing, "accepts_marketing": "false"},
        {**refused, "accepts_marketing": "true"},
        {**conflicting, "first_name": "Ann"},
        {**conflicting, "first_name": "Anna"},
    ]


def apply_delta(customers: list[dict[str, str]], delta: list[dict[str, str]]) -> list[dict[str, str]]:
    """The full customer export after the day: each changed customer's records replaced by its new ones."""
    changed = {c["customer_id"] for c in delta}
    return [c for c in customers if c["customer_id"] not in changed] + delta


# what a run writes besides the results: when it ran (and, on the facts it recomputed, its scoring date)
RUN_COLUMNS = {"int_orders_validated": ("validated_at",), "int_customer_order_facts": ("facts_computed_at", "as_of_date")}


def table_rows(ws: Workspace, table: str) -> list[tuple]:
    columns = f"* exclude ({', '.join(RUN_COLUMNS[table])})" if table in RUN_COLUMNS else "*"
    return ws.query(f"select {columns} from main.{table} order by all")


def assert_same_tables(ws: Workspace, full: Workspace) -> None:
    for table in (*MARTS, "int_customers_validated", *RUN_COLUMNS):
        assert table_rows(ws, table) == table_rows(full, table), table


def assert_same_as_full_refresh(ws: Workspace, root: Path, vars: dict[str, object]) -> Workspace:
    full = ws.clone(root)
    full.dbt(*BUILD, "--full-refresh", "--exclude-resource-type", "test", "unit_test", vars=vars)
    assert_same_tables(ws, full)
    return full


def last_run_rows(ws: Workspace, table: str) -> int:
    column = RUN_COLUMNS[table][0]
    return ws.query(f"select count(*) from main.{table} where {column} = (select max({column}) from main.{table})")[0][0]


def test_incremental_day_equals_full_refresh(tmp_path: Path, dirty_demo_data: DemoData) -> None:
    dirty_demo = dirty_demo_data
    ws = Workspace(tmp_path / "incremental")
    ws.load(dirty_demo.orders, dirty_demo.customers)
    ws.dbt(*BUILD, vars=DIRTY)
    rows_before = ws.query("select count(*) from main.int_orders_validated")[0][0]
    facts_before = ws.query("select count(*) from main.int_customer_order_facts")[0][0]

    old_orders, customers = read_rows(dirty_demo.orders), read_rows(dirty_demo.customers)
    day = tmp_path / "day1"
    day.mkdir()
    new_orders = write_rows(day / "orders.csv", next_day(old_orders), ORDER_COLUMNS)
    delta = customer_delta(customers, old_orders)
    new_customers = write_rows(day / "customers.csv", delta, CUSTOMER_COLUMNS)
    ws.load(new_orders, new_customers, "--append")
    ws.dbt(*BUILD, vars=DIRTY)
    # only the new rows and the old rows they depend on were validated, and only their customers recomputed
    assert 25 <= last_run_rows(ws, "int_orders_validated") < rows_before / 20
    assert 0 < last_run_rows(ws, "int_customer_order_facts") < facts_before / 2
    assert ws.query(
        "select count(*) from main.int_orders_validated where rejection_reason = 'orphan_refund'"
        " and validated_at = (select max(validated_at) from main.int_orders_validated)"
    )[0][0] >= 1
    # of the customers, only the day's records were validated: they replaced the stored records of their ids
    assert ws.query("select count(*) from main.int_customers_validated where load_id ="
                    " (select max(load_id) from main.int_customers_validated)")[0][0] == len(delta)
    # and every customer is as the plain-Python oracle reads the raw tables, loads and all
    raw = {table: ws.query_dicts(f"select * from raw.{table}") for table in ("orders", "customers")}
    expected = expected_customer_rfm(raw["orders"], raw["customers"], seeds_dir=SEEDS_DIR, today=TODAY)
    assert_rfm_rows_match(ws.query_dicts(f"select {', '.join(RFM_FIELDS)} from main.customer_rfm"), expected)
    full = assert_same_as_full_refresh(ws, tmp_path / "full", DIRTY)

    # a second run with nothing new changes nothing
    ws.dbt(*BUILD, vars=DIRTY)
    assert_same_tables(ws, full)

    # today moves (rfm_today defaults to the current date): rows dated after it are validated again, both
    # ways: the dirty demo's orders of 2998 and 2999 are accepted on 2999-06-30, and rejected again after
    later = {**DIRTY, "rfm_today": "2999-06-30"}
    ws.dbt(*BUILD, vars=later)
    accepted_later = "select count(*) from main.int_orders_validated where ordered_date between '2998-01-01' and" \
        " '2999-06-30' and rejection_reason is null"
    assert ws.query(accepted_later)[0][0] > 0
    assert_same_as_full_refresh(ws, tmp_path / "full_later", later)
    ws.dbt(*BUILD, vars=DIRTY)
    assert ws.query(accepted_later)[0][0] == 0
    assert_same_tables(ws, full)

    # a rules change validates every row again
    stricter = {**DIRTY, "rfm_max_order_total": 150}
    ws.dbt(*BUILD, vars=stricter)
    assert last_run_rows(ws, "int_orders_validated") == rows_before + 25
    assert_same_as_full_refresh(ws, tmp_path / "full_stricter", stricter)

    # so does another reporting time zone (it moves the dates of stored rows that have an offset)
    tokyo = {**stricter, "rfm_reporting_time_zone": "Asia/Tokyo"}
    ws.dbt(*BUILD, vars=tokyo)
    assert last_run_rows(ws, "int_orders_validated") == rows_before + 25
    assert_same_as_full_refresh(ws, tmp_path / "full_tokyo", tokyo)

    # orders replaced by a full export (not appended to): every row is validated again
    all_orders = write_rows(day / "all_orders.csv", old_orders + next_day(old_orders), ORDER_COLUMNS)
    all_customers = write_rows(day / "all_customers.csv", apply_delta(customers, delta), CUSTOMER_COLUMNS)
    ws.load(all_orders, all_customers)
    ws.dbt(*BUILD, vars=DIRTY)
    assert last_run_rows(ws, "int_orders_validated") == rows_before + 25
    assert_same_as_full_refresh(ws, tmp_path / "full_replaced", DIRTY)


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


def test_table_of_an_earlier_version_asks_for_a_full_refresh(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "old_table")
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("alter table main.int_orders_validated drop column validated_at")
        # and its SQL was another (else the model is kept: docs/incremental.md, "Kept models")
        con.execute("update main.rfm_build_signatures set input_signature = 'an earlier version'")
    proc = ws.dbt("run", "--select", "int_orders_validated", expect_ok=False)
    assert proc.returncode != 0
    assert ("int_orders_validated was built by an earlier version of the project (no column validated_at): rebuild"
            " it with dbt build --full-refresh --select int_orders_validated+") in proc.stdout
