"""Email engagement (customer_engagement) against a plain-Python oracle written from the spec, not the SQL.

Spec (docs/lifecycle.md): +10 per open, +20 per click, -15 per unsubscribe, 0 per bounce, -15 per full
period of var rfm_engagement_inactivity_days (90) from the last open or click (the first event when there is
none) to the scoring date; events after the scoring date or with an unparseable date do not count; tiers
high > 50, medium 20-50, low < 20. Without the raw table every customer scores 0 (low).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SEEDS_DIR, TODAY, DemoData, Workspace
from oracle import expected_customer_ids, expected_customer_rfm, read_customers_csv, read_orders_csv

POINTS = {"open": 10, "click": 20, "unsubscribe": -15, "bounce": 0}
INACTIVITY_POINTS = -15
PERIOD_DAYS = 90


def tier(score: int) -> str:
    return "high" if score > 50 else "medium" if score >= 20 else "low"


def parse_day(text: str) -> date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def oracle(events: list[dict[str, str]], customers: set[str], scoring_date: date,
           period_days: int = PERIOD_DAYS) -> dict[str, tuple[int, str]]:
    per: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for event in events:
        day = parse_day(event["occurred_at"])
        customer = event["customer_id"].strip()
        if day is not None and day <= scoring_date and customer in customers:
            per[customer].append((event["event_type"].strip().lower(), day))
    result = {}
    for customer in customers:
        mine = per.get(customer, [])
        score = sum(POINTS.get(kind, 0) for kind, _ in mine)
        if mine:
            engaged = [day for kind, day in mine if kind in ("open", "click")]
            since = max(engaged) if engaged else min(day for _, day in mine)
            score += ((scoring_date - since).days // period_days) * INACTIVITY_POINTS
        result[customer] = (score, tier(score))
    return result


def write_events(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("customer_id", "event_type", "occurred_at"))
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("period_days", [PERIOD_DAYS, 30])  # the default, and var rfm_engagement_inactivity_days
def test_engagement_matches_oracle(period_days: int, demo_build: Workspace, demo_data: DemoData,
                                   tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    events_path = tmp_path / "email_events.csv"
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "generate_email_events.py"), "--customers",
         str(demo_data.customers), "--out", str(events_path)],
        check=True, capture_output=True, text=True,
    )
    # Edge cases on top: on the tier boundaries, after the scoring date, unparseable, unknown customer, caps.
    # Who is scored and on which day come from the raw data through the RFM oracle, not from the marts.
    raw_orders, raw_customers = read_orders_csv(demo_data.orders), read_customers_csv(demo_data.customers)
    customers = sorted(expected_customer_ids(raw_orders, raw_customers, seeds_dir=SEEDS_DIR, today=TODAY))
    rfm = expected_customer_rfm(raw_orders, raw_customers, seeds_dir=SEEDS_DIR, today=TODAY)
    (scoring_date,) = {row["as_of_date"] for row in rfm.values()}
    a, b, c, d = customers[:4]
    extra = [
        (a, "open", "2026-06-30"), (a, "open", "2026-06-30 10:00:00"),  # 20 -> medium edge
        (b, "click", "2026-06-29"), (b, "click", "2026-06-29"), (b, "open", "2026-06-29"),  # 50 -> medium edge
        (c, "click", "2026-06-29"), (c, "click", "2026-06-29"), (c, "open", "2026-06-29"), (c, "OPEN ", "2026-06-29"),
        (d, "unsubscribe", "2026-01-01"), (d, "click", "2999-01-01"), (d, "open", "not a date"),
        ("NOBODY", "click", "2026-06-01"),
    ]
    with events_path.open(encoding="utf-8") as fh:
        generated = [r for r in csv.DictReader(fh) if r["customer_id"] not in (a, b, c, d)]
    rows = [(r["customer_id"], r["event_type"], r["occurred_at"]) for r in generated] + extra
    write_events(events_path, rows)

    proc = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(demo_data.orders),
         "--customers", str(demo_data.customers), "--email-events", str(events_path)],
        cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    ws.dbt("build", "--select", "stg_raw__email_events+", "engagement_scoring",
           vars={"rfm_engagement_inactivity_days": period_days})

    expected = oracle([dict(zip(("customer_id", "event_type", "occurred_at"), r)) for r in rows], set(customers),
                      scoring_date, period_days)
    got = {r[0]: (r[1], r[2]) for r in ws.query(
        "select customer_id, engagement_score, engagement_tier from main.customer_engagement")}
    assert got.keys() == expected.keys()
    diff = {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    assert not diff, f"{len(diff)} customers differ from the oracle, e.g. {list(diff.items())[:5]}"
    assert got[a] == (20, "medium") and got[b] == (50, "medium") and got[c] == (60, "high")
    assert {t for _, t in got.values()} == {"high", "medium", "low"}


def test_engagement_without_email_events_builds_empty(demo_build: Workspace) -> None:
    assert demo_build.query("select count(*) from main.stg_raw__email_events") == [(0,)]
    rows = demo_build.query(
        "select count(*), count(distinct customer_id), max(engagement_score), min(engagement_score),"
        " bool_or(has_email_events), min(engagement_tier), max(engagement_tier) from main.customer_engagement")
    (lifecycle,) = demo_build.query("select count(*) from main.customer_lifecycle")[0]
    assert rows == [(lifecycle, lifecycle, 0, 0, False, "low", "low")]


def test_loader_email_events_bad_file_changes_nothing(demo_data: DemoData, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.load(demo_data.orders, demo_data.customers)
    before = ws.query("select count(*) from raw.orders"), ws.query("select count(*) from raw.customers")
    bad = tmp_path / "events.csv"
    bad.write_text("customer_id,event_type\nC0000001,open\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(demo_data.orders),
         "--customers", str(tmp_path / "nothing.csv"), "--email-events", str(bad)],
        cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True,
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    proc = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(demo_data.orders),
         "--customers", str(demo_data.customers), "--email-events", str(bad)],
        cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: email_events file {bad}: missing required column 'occurred_at' (found: customer_id, event_type)"]
    assert (ws.query("select count(*) from raw.orders"), ws.query("select count(*) from raw.customers")) == before
    assert ws.query("select count(*) from information_schema.tables where table_name = 'email_events'") == [(0,)]
