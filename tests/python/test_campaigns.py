"""Holdout groups and uplift of the campaign flows (docs/campaigns.md, issue 18).

The planted-uplift build starts from the demo build and adds 400 new customers, each with one small order on
31 May 2026: scored on 1 June, they enter New Customer (first purchase), so flow welcome_second_order (20 %
holdout) gets a June cohort whose conversions only the planted June orders can make. Half of its treated
entrants and a fifth of its holdout ones are planted a purchase within the window, others one just after it.
June orders change no segment scored before 1 July, so the planted customers stay entrants. The orders are
loaded shuffled and some planted customers refuse marketing. One `dbt build` of the campaign models then has
to give what the oracle (tests/python/oracle.py) computes from the raw files and the segment entries, hold
the planted uplift in its interval, keep every customer in the group the demo build gave them, and export
only treated, consenting customers.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SEEDS_DIR, TODAY, DemoData, Workspace

import oracle

FLOW = "welcome_second_order"
COHORT = date(2026, 6, 1)
NEW_CUSTOMERS = 400
PLANTED_RATES = {False: 0.5, True: 0.2}  # is_holdout -> share of the planted customers who convert
PLANTED_UPLIFT = 0.3
AS_OF = date(2026, 7, 1)
WINDOW_DAYS = 20
MIN_GROUP_SIZE = 50
VARS = {"as_of_date": AS_OF.isoformat(), "rfm_flow_conversion_window_days": WINDOW_DAYS,
        "rfm_flow_min_group_size": MIN_GROUP_SIZE}
# the columns of campaign_flow_results the SQL computes in double precision: compared within a rounding step
FLOAT_COLUMNS = {"absolute_uplift": 0.0001, "relative_uplift": 0.0001, "uplift_lower_bound": 0.0001,
                 "uplift_upper_bound": 0.0001, "incremental_revenue": 0.01, "return_on_investment": 0.0001}


def planted_data(rng: random.Random, share: Decimal) -> tuple[list[oracle.Row], list[oracle.Row]]:
    """(orders, customers) of the planted customers. Their ids sort before the demo's, so that among the many
    one-order customers they get the lowest F and M scores (cell 4-1-1, New Customer); a purchase within the
    window for PLANTED_RATES of each group, just after the window for some of the others."""
    customers, orders = [], []
    for n in range(NEW_CUSTOMERS):
        customer_id = f"A{n:04d}"
        customers.append({"customer_id": customer_id, "email": f"planted{n}@example.com", "first_name": "Ann",
                          "created_at": "2026-05-01 09:00:00", "accepts_marketing": "true"})
        orders.append({"order_id": f"PLANT-{n}-0", "customer_id": customer_id, "ordered_at": "2026-05-31 09:00:00",
                       "order_total": "1.00", "status": "paid", "currency": "EUR"})
        converts = rng.random() < PLANTED_RATES[oracle.is_holdout(FLOW, customer_id, share)]
        if converts or rng.random() < 0.3:
            day = COHORT + timedelta(days=rng.randrange(WINDOW_DAYS) if converts else WINDOW_DAYS + rng.randrange(10))
            orders.append({"order_id": f"PLANT-{n}-1", "customer_id": customer_id,
                           "ordered_at": f"{day.isoformat()} 12:00:00", "order_total": f"{rng.randrange(20, 90)}.50",
                           "status": "paid", "currency": "EUR"})
    return orders, customers


def assert_results_match(rows: list[dict], expected: dict[tuple[str, date | None], dict]) -> None:
    actual = {(row.pop("flow_code"), row.pop("cohort_start_date")): row for row in rows}
    assert actual.keys() == expected.keys(), (sorted(actual.keys() - expected.keys(), key=str),
                                              sorted(expected.keys() - actual.keys(), key=str))
    problems = []
    for key, want in expected.items():
        for column, value in want.items():
            got = actual[key][column]
            if column in FLOAT_COLUMNS and value is not None and got is not None:
                same = abs(float(got) - value) <= FLOAT_COLUMNS[column]
            else:
                same = got == value
            if not same:
                problems.append(f"{key} {column}: dbt={got!r} oracle={value!r}")
    assert not problems, "\n".join(problems[:20])


def planted_demo(demo: DemoData) -> tuple[list[oracle.Row], list[oracle.Row], list[str]]:
    """(orders, customers, refused emails): the demo with the planted customers, orders shuffled (row order
    must not matter); test_cross_engine.py builds the same on every engine."""
    rng = random.Random(18)
    share = next(f.holdout_share for f in oracle.read_flows(SEEDS_DIR) if f.flow_code == FLOW)
    new_orders, new_customers = planted_data(rng, share)
    orders = oracle.read_orders_csv(demo.orders) + new_orders
    rng.shuffle(orders)
    # planted customers refuse marketing, on their record or only on a rejected record with their address
    refused = [customer["email"] for customer in new_customers[:12]]
    customers = [{**row, "accepts_marketing": "no"} if row["email"] in refused[:11] else row for row in new_customers]
    customers += oracle.read_customers_csv(demo.customers)
    customers.append({"customer_id": "REFUSED-REJECTED", "email": refused[11].upper(), "created_at": "not-a-date",
                      "accepts_marketing": "no"})
    return orders, customers, refused


@pytest.fixture(scope="module")
def planted(demo_build: Workspace, demo_data: DemoData, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("planted")
    flows = oracle.read_flows(SEEDS_DIR)
    ws = demo_build.clone(root / "ws")
    before = ws.query_dicts("select flow_code, customer_id, is_holdout from main.campaign_flow_entrants")
    orders, customers, refused = planted_demo(demo_data)
    ws.load(orders, customers)
    # the data tests of the selected models only (cautious): the summary and the history marts are not rebuilt
    ws.dbt("build", "--select", "+campaign_flow_results", "campaign_flow_audience", "--exclude-resource-type",
           "unit_test", "--indirect-selection", "cautious", vars=VARS)
    return {"ws": ws, "flows": flows, "orders": orders, "customers": customers, "before": before,
            "refused_emails": set(refused)}


def test_results_match_the_oracle_and_hold_the_planted_uplift(planted: dict) -> None:
    ws = planted["ws"]
    entries = ws.query_dicts("select customer_id, segment_code, entered_on, entry_kind from main.rfm_segment_entries")
    _, purchases, _ = oracle.valid_purchases(planted["orders"], planted["customers"],
                                             seeds=oracle.Seeds.load(SEEDS_DIR), as_of_date=AS_OF, today=TODAY)
    entrants = oracle.expected_flow_entrants(entries, planted["flows"], purchases, AS_OF, WINDOW_DAYS)
    rows = ws.query_dicts("select * from main.campaign_flow_entrants")
    actual = {(row.pop("flow_code"), row.pop("customer_id")): row for row in rows}
    assert {key: {k: v for k, v in row.items() if k != "segment_code"} for key, row in actual.items()} == entrants

    expected = oracle.expected_flow_results(entrants, planted["flows"], MIN_GROUP_SIZE)
    assert_results_match(ws.query_dicts("select * from main.campaign_flow_results"), expected)

    cohort = expected[FLOW, COHORT]
    planted_ids = {f"A{n:04d}" for n in range(NEW_CUSTOMERS)}
    assert len(planted_ids & {cid for flow, cid in entrants if flow == FLOW}) > 0.9 * NEW_CUSTOMERS, "not entrants"
    assert not cohort["is_too_small_to_say"] and cohort["is_window_complete"], cohort
    assert cohort["uplift_lower_bound"] <= PLANTED_UPLIFT <= cohort["uplift_upper_bound"], cohort
    assert cohort["uplift_lower_bound"] > 0, f"the planted uplift is not detected: {cohort}"
    assert cohort["return_on_investment"] is not None, "the flow's cost per entrant gives no return on investment"
    assert any(row["is_too_small_to_say"] for row in expected.values()), "no small group: the flag is not tested"


def test_same_groups_whatever_the_row_order_and_the_other_customers(planted: dict) -> None:
    """The orders were loaded shuffled and 400 customers were added: every customer who entered a flow in both
    builds is in the same group."""
    after = {(r["flow_code"], r["customer_id"]): r["is_holdout"]
             for r in planted["ws"].query_dicts("select flow_code, customer_id, is_holdout from main.campaign_flow_entrants")}
    common = [(r["flow_code"], r["customer_id"], r["is_holdout"]) for r in planted["before"]
              if (r["flow_code"], r["customer_id"]) in after]
    assert len(common) > 100 and any(holdout for _, _, holdout in common), len(common)
    assert [(f, c, after[f, c]) for f, c, _ in common] == common


def test_export_holds_only_treated_consenting_customers(planted: dict, tmp_path: Path) -> None:
    ws = planted["ws"]
    proc = subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "export_audiences.py"), "--segmentation",
                           "flows", "--out", str(tmp_path), "--export-date", "2026-11-25"],
                          cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    audience = ws.query_dicts("select flow_code, email, is_holdout, accepts_marketing from main.campaign_flow_audience")
    folder = tmp_path / "flows"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of_date"] == AS_OF.isoformat()
    for flow in planted["flows"]:
        members = [row for row in audience if row["flow_code"] == flow.flow_code]
        with (folder / f"{flow.flow_code}.csv").open(newline="", encoding="utf-8") as fh:
            exported = sorted(row["email"] for row in csv.DictReader(fh))
        assert exported == sorted(m["email"] for m in members if m["accepts_marketing"] and not m["is_holdout"])
        assert manifest["holdout"][flow.flow_code] == {
            "holdout_share": f"{flow.holdout_share:.4f}", "audience": len(members),
            "holdout": sum(m["is_holdout"] for m in members)}
    refusing = [m for m in audience if m["email"] in planted["refused_emails"]]
    assert {m["is_holdout"] for m in refusing} == {True, False}, "refusals in one group only: not tested"
    exported_all = {row["email"] for path in folder.glob("*.csv") for row in csv.DictReader(path.open())}
    assert not exported_all & planted["refused_emails"]
    assert manifest["holdout"][FLOW]["holdout"] > 0


def test_assignment_matches_the_oracle_and_the_configured_share(tmp_path: Path) -> None:
    """200,000 synthetic ids per flow, drawn in SQL on DuckDB (one `dbt show`): the SQL draw and the oracle's
    agree (equal counts, the same ids held out among the first 2,000), and the held-out share is within 0.005
    of the configured one."""
    shares = {"f_half": Decimal("0.5"), "f_fifth": Decimal("0.2"), "f_tiny": Decimal("0.0005"),
              "f_most": Decimal("0.9999"), "f_none": Decimal("0")}
    ids = 200_000
    selects = []
    for flow, share in shares.items():
        drawn = f"{{{{ rfm_is_holdout(\"'{flow}'\", \"'C' || cast(ids.i as varchar)\", {share}) }}}}"
        selects.append(
            f"select '{flow}' as flow_code, sum(case when {drawn} then 1 else 0 end) as holdout,"
            f" string_agg(case when ids.i < 2000 and {drawn} then cast(ids.i as varchar) end, ',' order by ids.i)"
            f" as first_ids from range({ids}) as ids(i)")
    proc = Workspace(tmp_path / "ws").dbt("--quiet", "show", "--inline", " union all ".join(selects),
                                          "--output", "json", "--limit", "-1")
    rows = {row["flow_code"]: row for row in json.loads(proc.stdout)["show"]}
    for flow, share in shares.items():
        expected = [i for i in range(ids) if oracle.is_holdout(flow, f"C{i}", share)]
        first = rows[flow]["first_ids"]
        assert rows[flow]["holdout"] == len(expected), flow
        assert (first.split(",") if first else []) == [str(i) for i in expected if i < 2000], flow
        assert abs(len(expected) / ids - float(share)) < 0.005, (flow, len(expected) / ids)
