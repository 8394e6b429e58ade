"""Platform-shaped orders end to end on DuckDB against the oracle: time zones and order-level refunds.

Timestamps carry ISO-8601 offsets (`+05:00`, `-0500`, `+05`), `Z`, or nothing (then they are in the
reporting time zone); dates move across midnight and daylight saving time changes; `created_at` decides which
merged customer survives. Orders carry their own `refunded_amount` beside refund rows for the same or other
orders. The build runs in UTC and in America/New_York; customer_rfm, the rejects and the order dates match
the oracle (zoneinfo), and data_quality_summary reconciles the refunded amounts to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SEEDS_DIR, TODAY, Workspace
from oracle import Row, expected_customer_rfm, expected_rejects, parse_amount, parse_timestamp
from test_oracle import assert_same_rejects, assert_same_rfm



def _order(order_id: str, customer_id: str, ordered_at: str, total: str, **kw: str) -> Row:
    return {"order_id": order_id, "customer_id": customer_id, "ordered_at": ordered_at, "order_total": total, **kw}


ORDERS: list[Row] = [
    # 2024-03-10 is when New York moves to daylight saving time (07:00 UTC); 2024-11-03 when it leaves it.
    _order("dst1", "c1", "2024-03-10T06:59:00Z", "10.00", status="paid"),
    _order("dst2", "c1", "2024-03-10T07:00:00+00:00", "11.00", status="paid"),
    _order("dst3", "c2", "2024-11-03 05:30:00+0000", "12.00", status="partially_refunded", refunded_amount="2.50"),
    _order("dst4", "c2", "2024-11-03 06:30:00 +00", "13.00", status="fulfilled"),
    # across midnight: a New York evening is the next day in UTC, a Paris morning the day before
    _order("mid1", "c3", "2024-06-30T21:30:00-04:00", "20.00", currency="USD", refunded_amount="5"),
    _order("mid2", "c3", "2024-07-01 00:30:00+02:00", "21.00", status="succeeded"),
    _order("mid3", "c4", "2024-12-31 23:59:59.999999-05:00", "22.00", currency="GBP", status="processing"),
    # naive: in the reporting zone whatever it is
    _order("naive1", "c4", "2024-12-31 23:30", "23.00", status="complete"),
    _order("naive2", "c5", "2024-07-04", "24.00", status="authorized"),
    # both forms of refund on one order, and a refund row on another order with its own refunded amount
    _order("both", "c5", "2024-05-05T10:00:00+05:30", "100.00", refunded_amount="30.00", status="partially_refunded"),
    _order("both_r", "c5", "2024-05-06T10:00:00Z", "-20.00", refund_of_order_id="both"),
    _order("full", "c6", "2024-05-05T10:00:00Z", "40.00", refunded_amount="40.00", status="paid"),
    _order("keep", "c6", "2024-04-01T10:00:00Z", "8.00", status="paid"),
    # rejects: bad offsets, refunded amounts that cannot be, a refund row with its own refunded amount
    _order("bad_tz1", "c7", "2024-05-05T10:00:00+24:00", "5.00"),
    _order("bad_tz2", "c7", "2024-05-05 10:00 CET", "5.00"),
    _order("over", "c7", "2024-05-05T10:00:00Z", "5.00", refunded_amount="5.01"),
    _order("minus", "c7", "2024-05-05T10:00:00Z", "5.00", refunded_amount="-0.01"),
    _order("words", "c7", "2024-05-05T10:00:00Z", "5.00", refunded_amount="five"),
    _order("rr", "c6", "2024-05-06T10:00:00Z", "-1.00", refund_of_order_id="keep", refunded_amount="0"),
    # just after the build day in New York, but not in UTC (and the other way round)
    _order("late_ny", "c8", f"{TODAY.isoformat()}T23:30:00-05:00", "9.00"),
    _order("late_utc", "c8", f"{TODAY.isoformat()}T23:30:00Z", "9.00"),
    _order("kept", "c8", "2024-09-09T12:00:00Z", "9.00"),
]

CUSTOMERS: list[Row] = [
    # same email: the one created first survives, compared after conversion (c1 is 30 minutes earlier)
    {"customer_id": "c1", "email": "ann@x.com", "created_at": "2024-01-01T00:30:00+01:00"},
    {"customer_id": "c2", "email": "ann@x.com", "created_at": "2024-01-01T00:00:00Z"},
    {"customer_id": "c3", "email": "bob@x.com", "created_at": "2024-02-01 10:00:00-0500"},
    {"customer_id": "c4", "created_at": "2024-02-01 25:00:00Z"},
    {"customer_id": "c5", "created_at": "2024-02-01"},
]


# the fixture is small and a third of it is bad on purpose
ZONED_VARS = {"rfm_reject_share_error": "0.5", "rfm_reject_share_warn": "0.5"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("time_zones"))
    ws.load(ORDERS, CUSTOMERS)
    return ws


def _order_dates(ws: Workspace) -> dict[str, date]:
    return dict(ws.query("select order_id, ordered_date from int_orders_validated where rejection_reason is null"))


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_platform_orders_match_the_oracle(loaded: Workspace, tmp_path: Path, zone: str) -> None:
    ws = loaded.clone(tmp_path)
    ws.dbt("build", vars={**ZONED_VARS, "rfm_reporting_time_zone": zone})
    expected = expected_customer_rfm(ORDERS, CUSTOMERS, seeds_dir=SEEDS_DIR, today=TODAY, zone=zone)
    assert_same_rfm(ws, expected)
    assert_same_rejects(ws, expected_rejects(ORDERS, CUSTOMERS, seeds_dir=SEEDS_DIR, today=TODAY, zone=zone))

    dates = _order_dates(ws)
    for order in ORDERS:
        if order["order_id"] in dates:
            ordered_at = parse_timestamp(order["ordered_at"], zone)
            assert ordered_at is not None and dates[order["order_id"]] == ordered_at.date(), order

    # refund rows and refunded amounts reconcile to the cent, per source and in total
    summary = ws.query_dicts("select * from data_quality_summary where source = 'orders'")[0]
    raw_refunded = sum((parse_amount(o.get("refunded_amount")) or Decimal(0) for o in ORDERS), Decimal("0.00"))
    assert summary["refunded_amount_in"] == raw_refunded
    assert summary["refunded_amount_valid"] + summary["refunded_amount_rejected"] == raw_refunded
    assert summary["rejected_invalid_refunded_amount"] == 4


def test_the_zone_moves_dates(loaded: Workspace, tmp_path: Path) -> None:
    """The same rows give other order dates, merges and rejects in New York than in UTC (so the comparison
    above is not vacuous), as worked out by hand."""
    utc_rejects = expected_rejects(ORDERS, CUSTOMERS, seeds_dir=SEEDS_DIR, today=TODAY)
    ny_rejects = expected_rejects(ORDERS, CUSTOMERS, seeds_dir=SEEDS_DIR, today=TODAY, zone="America/New_York")
    assert ("orders", "late_ny", "future_dated") in utc_rejects and ("orders", "late_ny", "future_dated") not in ny_rejects
    ws = loaded.clone(tmp_path)
    ws.dbt("build", "--select", "+int_orders_validated", "--exclude", "test_type:data",
           vars={"rfm_reporting_time_zone": "America/New_York"})
    dates = _order_dates(ws)
    assert dates["dst1"] == date(2024, 3, 10) and dates["mid1"] == date(2024, 6, 30)
    assert dates["mid2"] == date(2024, 6, 30) and dates["mid3"] == date(2024, 12, 31)
    assert dates["naive1"] == date(2024, 12, 31) and dates["late_ny"] == TODAY
    hours = dict(ws.query("select order_id, hour(ordered_at) from int_orders_validated where order_id like 'dst%'"))
    assert hours == {"dst1": 1, "dst2": 3, "dst3": 1, "dst4": 1}


def test_a_bad_reporting_zone_stops_the_build(loaded: Workspace) -> None:
    proc = loaded.dbt("build", vars={"rfm_reporting_time_zone": "Europe/Atlantis"}, expect_ok=False)
    assert proc.returncode != 0
    assert "var rfm_reporting_time_zone must be an IANA time zone name" in proc.stdout
