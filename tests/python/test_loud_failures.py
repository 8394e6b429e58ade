"""A build that loses data is not green, and it says why and what to do.

Above var rfm_reject_share_error of a raw table rejected, the build fails naming the reasons and their
counts, and the marts keep their last good content; between the warning and the failing share it warns and
goes on. Raw orders with nobody scored fail. An unknown currency stops the default build naming it, like an
unknown status; with its severity var at warn the build goes on and the rows are rejects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Workspace
from oracle import Row
from test_oracle import customer, order


CUSTOMERS = [customer(f"c{i}") for i in range(10)]
GOOD = [order(f"c{i % 10}", f"{10 + i}.00", f"2026-01-{1 + i % 28:02d}", order_id=f"g{i}") for i in range(40)]


# customer_rfm, the rejects and what they are built from, with their data tests: every check of this file
CORE = ("build", "--select", "+customer_rfm", "+data_quality_rejects", "--indirect-selection", "cautious")


def _build(ws: Workspace, orders: list[Row], **vars: str):
    ws.load(orders, CUSTOMERS)
    return ws.dbt(*CORE, vars=vars, expect_ok=False)


def _mart(ws: Workspace) -> list[tuple]:
    return ws.query("select customer_id, monetary, rfm_cell from customer_rfm order by customer_id")


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("loud_good"))
    assert _build(ws, GOOD).returncode == 0
    return ws


def test_too_many_rejects_fail_naming_reasons_and_keep_the_marts(good_build: Workspace, tmp_path: Path) -> None:
    ws = good_build.clone(tmp_path)
    before = _mart(ws)
    # 12 of 52 rows (23 %) rejected: above the default failing share of 20 %
    bad = ([order("c1", "5.00", "31/01/2026", order_id=f"d{i}") for i in range(8)]
           + [order("c2", "five", order_id=f"n{i}") for i in range(4)])
    proc = _build(ws, GOOD + bad)
    assert proc.returncode != 0
    assert "too many raw orders rejected" in proc.stdout
    assert "12 of 52 raw rows rejected (23.1 %), more than the failing share 0.2 (var rfm_reject_share_error)" in proc.stdout
    assert "by reason: unparseable_ordered_at=8 non_numeric_order_total=4." in proc.stdout
    assert "See data_quality_rejects" in proc.stdout
    assert _mart(ws) == before, "customer_rfm was rebuilt from a load that lost data"


def test_a_share_between_the_two_vars_warns_and_builds(good_build: Workspace, tmp_path: Path) -> None:
    ws = good_build.clone(tmp_path)
    proc = _build(ws, GOOD + [order("c1", "5.00", "yesterday", order_id="d1"), order("c1", "x", order_id="n1")])
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 of 42 raw rows rejected (4.8 %), more than the warning share 0.02 (var rfm_reject_share_warn)" in proc.stdout
    # and the vars move the limits
    proc = _build(ws, GOOD + [order("c1", "5.00", "yesterday", order_id=f"d{i}") for i in range(20)],
                  rfm_reject_share_error="0.5")
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_an_all_rejected_load_fails(good_build: Workspace, tmp_path: Path) -> None:
    ws = good_build.clone(tmp_path)
    before = _mart(ws)
    proc = _build(ws, [order("c1", "5.00", "2024-01-02T10:24:00 EST", order_id=f"d{i}") for i in range(5)])
    assert proc.returncode != 0
    assert "5 of 5 raw rows rejected (100.0 %)" in proc.stdout and "unparseable_ordered_at=5" in proc.stdout
    assert _mart(ws) == before
    # with the share check opened up, the nobody-scored check still stops it
    proc = ws.dbt(*CORE, vars={"rfm_reject_share_error": "1", "rfm_reject_share_warn": "1"}, expect_ok=False)
    assert proc.returncode != 0
    assert "nobody scored although raw orders has 5 rows: 5 rejected (by reason: unparseable_ordered_at=5), 0 accepted" in proc.stdout


def test_accepted_orders_that_score_nobody_fail(good_build: Workspace, tmp_path: Path) -> None:
    ws = good_build.clone(tmp_path)
    proc = _build(ws, [order("c1", "5.00", status="pending", order_id=f"p{i}") for i in range(5)])
    assert proc.returncode != 0
    assert "nobody scored although raw orders has 5 rows: 0 rejected (by reason:), 5 accepted" in proc.stdout
    assert "is_purchase in seeds/order_statuses.csv" in proc.stdout


def test_an_unknown_currency_stops_the_default_build(good_build: Workspace, tmp_path: Path) -> None:
    ws = good_build.clone(tmp_path)
    before = _mart(ws)
    proc = _build(ws, [*GOOD, order("c1", "5.00", currency=" xts", order_id="xts")])
    assert proc.returncode != 0
    assert 'currency "XTS" is not in currency_rates.currency_code (1 rows); add it to seeds/currency_rates.csv' in proc.stdout
    assert _mart(ws) == before
    # the base currency needs no rate (the seed has none for XTS, ISO's code for tests; a base row is
    # only checked if present)
    proc = ws.dbt(*CORE, vars={"rfm_base_currency": "xts"}, expect_ok=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    proc = _build(ws, [*GOOD, order("c1", "5.00", currency="xts", order_id="xts")], rfm_unknown_currency_severity="warn")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert ws.query("select rejection_reason from data_quality_rejects where raw_key = 'xts'") == [("unknown_currency",)]
