"""Incremental builds equal a full rebuild after any sequence of daily changes (docs/incremental.md,
docs/history.md).

A hypothesis rule-based state machine applies random steps to one small raw data set: a day appended (new
orders, refunds, exact and conflicting duplicates, late rows), a load that replaces the orders (one order
deleted or changed), customer changes (a new merge, a survivor swap, a consent change, a customer leaving
the export), an order moved to another customer, a segment map edit, moves of rfm_today, as_of_date and
the history's vars, and a run with nothing new (whose models are kept). After every step the incremental warehouse (`dbt build`, never --full-refresh) and a
second warehouse rebuilt from scratch (`dbt build --full-refresh`) agree row for row on every mart
(incremental_pair.MARTS).

Bounded for CI: a fixed seed (conftest.HYPOTHESIS_SEED; RFM_HYPOTHESIS_SEED explores others) and RFM_STATEFUL_EXAMPLES sequences (default 1) of
RFM_STATEFUL_STEPS steps (default 3); each step is two builds. For a longer local run:
`RFM_STATEFUL_EXAMPLES=20 RFM_STATEFUL_STEPS=8 python -m pytest tests/python/test_incremental_stateful.py`.
Every failing example it finds is kept below as a plain regression test, with the issue's reproductions.

The fixed sequence of test_fixed_sequence_on_other_engine runs the same kind of steps on PostgreSQL and Spark
(`bash scripts/test.sh postgres|spark|spark-cluster`), compared with DuckDB's full rebuilds.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import HYPOTHESIS_SEED, copy_project
from engines import OTHER_ENGINES, DuckDBWorkspace, engine_workspace, needs_other_engine
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from incremental_pair import BUILD, IncrementalPair, edit_segment_map
from oracle import Row

CUSTOMER_IDS = ("A1", "A2", "A3", "B1", "B2", "C1", "C2")
EMAILS = ("a@x.com", "b@x.com", "c@x.com", None)
SEGMENTS = ("champions", "loyal", "new_customer", "at_risk", "lost", "need_attention")
STATUSES = (None, "completed", "shipped", "cancelled", "refunded")
START = date(2026, 1, 1)
# the regression tests that look at one build run its data tests too
BUILD_WITH_TESTS = ("build", "--exclude-resource-type", "unit_test", "snapshot")


def customer(customer_id: str, email: str | None, created: date, consent: str | None = "true",
             concern: str | None = None) -> Row:
    return {"customer_id": customer_id, "email": email, "first_name": customer_id.lower(),
            "created_at": created.isoformat(), "country": "FR", "accepts_marketing": consent, "concern": concern}


def order(order_id: str, customer_id: str, day: date, total: str, status: str | None = None,
          refund_of: str | None = None) -> Row:
    return {"order_id": order_id, "customer_id": customer_id, "ordered_at": day.isoformat(), "order_total": total,
            "status": status, "currency": None, "refund_of_order_id": refund_of}


def first_orders() -> list[Row]:
    """Two orders a month for five months, spread over the customers."""
    return [order(f"o{i}", CUSTOMER_IDS[i % len(CUSTOMER_IDS)], START + timedelta(days=15 * i + i % 3),
                  f"{10 + 7 * i}.{i % 10}0") for i in range(10)]


def first_customers() -> list[Row]:
    return [customer(cid, EMAILS[i % len(EMAILS)], date(2025, 1, 1 + i)) for i, cid in enumerate(CUSTOMER_IDS)]


class IncrementalEqualsFullRefresh(RuleBasedStateMachine):
    """The rules change the raw data, the seeds or the vars; each then builds both warehouses and compares."""

    @initialize()
    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="rfm_stateful_"))
        project = copy_project(self.root / "project")
        self.pair = IncrementalPair(DuckDBWorkspace(self.root / "incremental", project),
                                    DuckDBWorkspace(self.root / "full", project))
        self.pair.orders, self.pair.customers = first_orders(), first_customers()
        self.day = START + timedelta(days=150)
        self.pair.vars = {"rfm_today": self.day.isoformat()}
        self.next_id = 100
        self.pair.step()

    def teardown(self) -> None:
        if hasattr(self, "root"):
            shutil.rmtree(self.root, ignore_errors=True)

    def new_id(self) -> str:
        self.next_id += 1
        return f"n{self.next_id}"

    def purchases(self) -> list[Row]:
        return [o for o in self.pair.orders if o["refund_of_order_id"] is None]

    @rule(data=st.data())
    def append_day(self, data: st.DataObject) -> None:
        """A day's new rows: orders of the build day, maybe a refund, a late row, duplicates."""
        self.day += timedelta(days=data.draw(st.integers(1, 20), label="days later"))
        self.pair.vars["rfm_today"] = self.day.isoformat()
        rows = [order(self.new_id(), data.draw(st.sampled_from((*CUSTOMER_IDS, "Z9")), label="customer"), self.day,
                      data.draw(st.sampled_from(("5.00", "12.50", "40.00")), label="total"),
                      data.draw(st.sampled_from(STATUSES), label="status"))
                for _ in range(data.draw(st.integers(1, 3), label="orders"))]
        old = data.draw(st.sampled_from(self.purchases()), label="old order")
        kind = data.draw(st.sampled_from(("refund", "late", "exact_duplicate", "conflicting_duplicate", "none")),
                         label="extra row")
        if kind == "refund":
            # under the order's customer id, or another one (it still reduces the order's customer)
            rows.append(order(self.new_id(), data.draw(st.sampled_from((old["customer_id"], *CUSTOMER_IDS)),
                                                       label="refund's customer"),
                              self.day - timedelta(days=data.draw(st.integers(0, 60), label="refund age")), "-3.00",
                              refund_of=old["order_id"]))
        elif kind == "late":
            rows.append(order(self.new_id(), old["customer_id"], self.day - timedelta(days=data.draw(
                st.integers(1, 120), label="late by")), "8.00"))
        elif kind == "exact_duplicate":
            rows.append(dict(old))
        elif kind == "conflicting_duplicate":
            rows.append({**old, "order_total": "99.99"})
        self.pair.orders += rows
        self.pair.step()

    @rule(data=st.data())
    def replace_load(self, data: st.DataObject) -> None:
        """A full export replaces the orders: one row is gone or has another amount."""
        index = data.draw(st.integers(0, len(self.pair.orders) - 1), label="row")
        if data.draw(st.booleans(), label="delete"):
            del self.pair.orders[index]
        else:
            self.pair.orders[index] = {**self.pair.orders[index], "order_total": "77.70"}
        self.pair.step(replace=True)

    @rule(data=st.data())
    def move_order(self, data: st.DataObject) -> None:
        """An order corrected to another customer, by a replacing load."""
        index = self.pair.orders.index(data.draw(st.sampled_from(self.purchases()), label="order"))
        to = data.draw(st.sampled_from(CUSTOMER_IDS), label="to")
        self.pair.orders[index] = {**self.pair.orders[index], "customer_id": to}
        self.pair.step(replace=True)

    @rule(data=st.data())
    def change_customers(self, data: st.DataObject) -> None:
        """A new merge, a survivor swap, a consent change, a conflicting record or a customer leaving, with the
        next day's orders: appended as the changed customer's records (a customer leaving stays in the raw
        table until a replacing load)."""
        customers = self.pair.customers
        index = data.draw(st.integers(0, len(customers) - 1), label="customer")
        change = data.draw(st.sampled_from(("merge", "swap", "consent", "leave", "concern")), label="change")
        if change == "merge":
            customers[index] = {**customers[index], "email": data.draw(st.sampled_from(EMAILS[:3]), label="email")}
        elif change == "swap":
            customers[index] = {**customers[index], "created_at": "2024-06-01"}
        elif change == "consent":
            customers[index] = {**customers[index], "accepts_marketing": data.draw(
                st.sampled_from(("true", "false", None)), label="consent")}
        elif change == "concern":
            customers.append({**customers[index], "concern": "wrinkles"})
        elif len(customers) > 2:
            del customers[index]
        self.pair.orders.append(order(self.new_id(), customers[0]["customer_id"], self.day, "6.00"))
        self.pair.step()

    @rule()
    def run_again(self) -> None:
        """A run with nothing new: every model is kept (docs/incremental.md, "Kept models")."""
        self.pair.step(load=False)

    @rule(data=st.data())
    def edit_map(self, data: st.DataObject) -> None:
        cell = tuple(data.draw(st.integers(1, 4), label=score) for score in "rfm")
        edit_segment_map(self.pair.incremental.project, cell, data.draw(st.sampled_from(SEGMENTS), label="segment"))
        self.pair.step(load=False)

    @rule(data=st.data())
    def move_dates(self, data: st.DataObject) -> None:
        """rfm_today forward or back, an explicit as_of_date or the default again, another history range."""
        what = data.draw(st.sampled_from(("today", "as_of_date", "default", "history")), label="var")
        if what == "today":
            self.day += timedelta(days=data.draw(st.integers(-10, 30), label="days"))
            self.pair.vars["rfm_today"] = self.day.isoformat()
        elif what == "as_of_date":
            self.pair.vars["as_of_date"] = (START + timedelta(days=data.draw(st.integers(40, 200), label="as of"))
                                            ).isoformat()
        elif what == "default":
            self.pair.vars.pop("as_of_date", None)
        else:
            self.pair.vars["rfm_history_start"] = data.draw(st.sampled_from(("", "2", "2025-11-15")), label="start")
            self.pair.vars["rfm_tie_policy"] = data.draw(st.sampled_from(("split", "shared")), label="ties")
            self.pair.vars["rfm_history_grain"] = data.draw(st.sampled_from(("month", "week")), label="grain")
        self.pair.step(load=False)


IncrementalEqualsFullRefresh.TestCase.settings = settings(
    max_examples=int(os.environ.get("RFM_STATEFUL_EXAMPLES", "1")),
    stateful_step_count=int(os.environ.get("RFM_STATEFUL_STEPS", "3")),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# other sequences with RFM_HYPOTHESIS_SEED (conftest.HYPOTHESIS_SEED)
test_incremental_equals_full_refresh = seed(HYPOTHESIS_SEED)(IncrementalEqualsFullRefresh).TestCase


@pytest.mark.parametrize("engine", OTHER_ENGINES)
@needs_other_engine
def test_fixed_sequence_on_other_engine(engine: str, tmp_path: Path) -> None:
    """The state machine's kind of steps, in a fixed order, built incrementally on another engine and compared
    with DuckDB's full rebuilds. Rebuilding on the engine itself too would prove the same twice over (its full
    builds equal DuckDB's: test_cross_engine.py) for most of the Spark stage's time."""
    project = copy_project(tmp_path / "project")
    with engine_workspace(engine, tmp_path / "incremental") as incremental, \
            engine_workspace("duckdb", tmp_path / "full") as full:
        incremental.project = full.project = project
        pair = IncrementalPair(incremental, full, first_orders(), first_customers(), {"rfm_today": "2026-05-31"})
        pair.step()
        # a day: a new order, a refund of an old one, a late row and a conflicting duplicate
        pair.orders += [order("n1", "A1", date(2026, 6, 2), "12.50"),
                        order("n2", "B1", date(2026, 6, 2), "-3.00", refund_of="o3"),
                        order("n3", "C2", date(2026, 2, 1), "8.00"), {**pair.orders[4], "order_total": "1.00"}]
        # and an appended customer record: a new email merges C1 into the customers of a@x.com
        pair.customers[5] = {**pair.customers[5], "email": "a@x.com"}
        pair.vars["rfm_today"] = "2026-06-02"
        pair.step()
        # the survivor of a merge changes, and an order moves to another customer by a replacing load
        pair.customers[0] = {**pair.customers[0], "created_at": "2024-06-01"}
        pair.orders[1] = {**pair.orders[1], "customer_id": "B2"}
        pair.step(replace=True)
        # the segment map, the scoring date and the history's range move
        edit_segment_map(project, (1, 1, 1), "at_risk")
        pair.vars.update({"as_of_date": "2026-04-15", "rfm_history_start": "2025-11-15", "rfm_tie_policy": "shared"})
        pair.step(load=False)
        pair.vars.pop("as_of_date")
        pair.step(load=False)


# ------------------------------------------------------------------------------------------------------------
# Regression tests: the reproductions of issue 15 (and every failing example the state machine finds).


def pair_in(root: Path, orders: list[Row], customers: list[Row], vars: dict[str, str]) -> IncrementalPair:
    project = copy_project(root / "project")
    return IncrementalPair(DuckDBWorkspace(root / "incremental", project), DuckDBWorkspace(root / "full", project),
                           orders, customers, vars)


def test_survivor_swap_and_moved_order_equal_full_refresh(tmp_path: Path) -> None:
    """Reproductions 1 and 2: a merge whose survivor changes, then an order corrected to another customer,
    each by a replacing load with no --full-refresh. The history once kept the merged-away id and both
    customers of the moved order (its signature summed id lengths), and on real data its own test
    history_matches_customer_rfm failed: the incremental builds run it, and the last order, on 31 March, makes
    customer_rfm's date (1 April) the scoring date of March, so that it compares."""
    orders = [order("o1", "A1", date(2024, 1, 10), "10"), order("o2", "A2", date(2024, 2, 15), "15"),
              order("o3", "B1", date(2024, 1, 5), "30"), order("o4", "B2", date(2024, 2, 20), "5"),
              order("o5", "B3", date(2024, 3, 31), "50")]
    customers = [customer("A1", "a@x.com", date(2024, 1, 2)), customer("A2", "a@x.com", date(2024, 1, 1))]
    pair = pair_in(tmp_path, orders, customers, {"rfm_today": "2024-05-25"})
    pair.step()
    march = ("select count(*) from main.rfm_segment_history"
             " where as_of_date = (select max(as_of_date) from main.customer_rfm)")
    assert pair.incremental.query(march) == [(4,)]
    pair.customers[0] = {**pair.customers[0], "created_at": "2023-12-31"}
    pair.step(replace=True)
    history = "select customer_id from main.rfm_segment_history where period_start_date = date '{}' order by 1"
    assert pair.incremental.query(history.format("2024-02-01")) == [("A1",), ("B1",), ("B2",)]
    (previous,) = pair.incremental.query("select previous_segment_code from main.customer_rfm where customer_id = 'A1'")
    assert previous[0] is not None
    pair.orders[0] = {**pair.orders[0], "customer_id": "B1"}
    pair.step(replace=True)
    assert pair.incremental.query(history.format("2024-01-01")) == [("B1",)]


def test_periods_are_the_configured_periods(tmp_path: Path) -> None:
    """Reproduction 3: a shop whose first orders are all in May 2026. The twelve configured periods before it
    are empty, so nobody is a member at the history's start: every customer made a first purchase, and the
    welcome flow (no backfill) targets the new customers. Moving an unrelated order changes none of that.
    Reproduction 4 rides along: two rows of one customer id that differ only in `concern` conflict."""
    orders = [order(f"o{i}", f"c{i}", date(2026, 5, 20 - 2 * i), f"{10 * i}.00") for i in range(1, 9)]
    customers = [customer(f"c{i}", None, date(2025, 1, i)) for i in range(1, 9)] + [
        {"customer_id": "Z1", "email": "z@x.com", "first_name": "Zed", "concern": "wrinkles"},
        {"customer_id": "Z1", "email": "z@x.com", "first_name": "Zed", "concern": "radiance"}]
    ws = DuckDBWorkspace(tmp_path / "shop")
    ws.load(orders, customers)
    ws.dbt(*BUILD_WITH_TESTS, vars={"rfm_today": "2026-05-25"})
    entries = "select entry_kind, count(*) from main.rfm_segment_entries group by 1"
    welcome = ("select customer_id, entry_kind from main.campaign_flow_audience where flow_code = 'welcome_second_order'"
               " order by customer_id")  # a table's rows come back in no fixed order
    assert ws.query("select count(distinct period_start_date) from main.int_history_periods_listed") == [(12,)]
    assert ws.query(entries) == [("first_purchase", 8)]
    assert ws.query(welcome) and {kind for _, kind in ws.query(welcome)} == {"first_purchase"}
    assert sorted(ws.query("select raw_key, rejection_reason from main.data_quality_rejects")) == [
        ("Z1", "conflicting_duplicate"), ("Z1", "conflicting_duplicate")]
    before = ws.query(welcome)
    orders[-1] = {**orders[-1], "ordered_at": "2026-05-01"}
    ws.load(orders, customers)
    ws.dbt(*BUILD_WITH_TESTS, vars={"rfm_today": "2026-05-25"})
    assert ws.query(entries) == [("first_purchase", 8)]
    assert ws.query(welcome) == before


def test_stale_periods_go_and_a_period_counts_only_its_orders(tmp_path: Path) -> None:
    """Reproductions 5 and 6. A build of 24 periods with the other tie policy, then the default: the history
    holds the twelve periods a full rebuild holds, scored with the tie policy in force; after a replacing
    load of another data set none of the previous one's rows stay. December's row (scoring date 1 January)
    does not count the orders of 1 January, and equals customer_rfm with as_of_date 2026-01-01."""
    orders = [order(f"o{i}", f"c{i % 5}", date(2024, 1, 3) + timedelta(days=23 * i), f"{5 + i}.00") for i in range(32)]
    orders.append(order("jan1", "c1", date(2026, 1, 1), "500.00"))
    pair = pair_in(tmp_path, orders, first_customers(), {"rfm_today": "2026-03-01", "rfm_history_start": "24",
                                          "rfm_tie_policy": "shared"})
    pair.step()
    pair.vars = {"rfm_today": "2026-03-01"}
    pair.step(load=False)
    assert pair.incremental.query("select count(distinct period_start_date) from main.rfm_segment_history") == [(12,)]
    december = pair.incremental.query_dicts(
        "select * from main.rfm_segment_history where period_start_date = date '2025-12-01'")
    assert december and all(row["last_order_date"] < date(2026, 1, 1) for row in december)
    pair.incremental.dbt(*BUILD, vars={**pair.vars, "as_of_date": "2026-01-01"})
    columns = "customer_id, recency_days, frequency, monetary, rfm_cell, segment_code"
    assert pair.incremental.query(f"select {columns} from main.customer_rfm order by 1") == [
        tuple(row[c.strip()] for c in columns.split(",")) for row in sorted(december, key=lambda r: r["customer_id"])]
    pair.orders = [{**o, "order_id": f"x{o['order_id']}", "customer_id": f"x{o['customer_id']}"} for o in orders[::2]]
    pair.step(replace=True)
    stale = "select count(*) from main.rfm_segment_history where customer_id not like 'x%'"
    assert pair.incremental.query(stale) == [(0,)]
