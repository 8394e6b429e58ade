"""Random raw data through the whole `dbt build`: it succeeds and agrees with the oracle, or it stops
with a dbt test message. Never a crash.

Examples mix the awkward cases real exports have: empty tables, one customer, all values equal, huge and
tiny amounts, unicode and quotes in ids and emails, padded and mixed-case text, dates at the edges, bad
values of every kind. The raw tables are written directly (the loader has its own tests), so an example
can also be empty. RFM_HYPOTHESIS_EXAMPLES sets how many examples run (default 8, bounded for CI: each is a
dbt build; a longer run by hand: RFM_HYPOTHESIS_EXAMPLES=50), RFM_HYPOTHESIS_SEED which (fixed by default:
conftest.py); hypothesis_regressions.json holds the examples that must always run.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import HYPOTHESIS_SEED, MESSY_VARS, SEEDS_DIR, TODAY, Workspace
from hypothesis import HealthCheck, event, example, given, note, seed, settings
from hypothesis import strategies as st
from oracle import CUSTOMER_COLUMNS, ORDER_COLUMNS, Row, expected_customer_rfm, expected_rejects
from test_retention import assert_retention_matches_oracle

def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """Nine draws in ten from `good`: bad values in every field, yet most rows still make purchases."""
    return st.integers(0, 9).flatmap(lambda k: bad if k == 0 else good)


CUSTOMER_IDS = mostly(st.sampled_from(["c1", "c2", " c1 ", "c'3", 'c"4', "é5", "ß6", "客7"]),
                      st.sampled_from(["", " ", "\t", None, "C1"]))
DATES = mostly(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 11, 25)).map(date.isoformat)
    | st.sampled_from(["2024-02-29", "2024-12-31 23:59:59", "2025-06-30T08:00", "2026-11-25 23:59:59.5",
                       "2025-06-30T23:30:00-05:00", "2024-03-01 00:30+01", "2026-11-25T23:30Z", "2025-01-01 00:00 +0100"]),
    st.sampled_from(["2023-02-29", "0001-01-01", "9999-12-31", "2026-11-26", "24/12/2024", "2024-01-01Z",
                     "2026-11-25T23:30:00-05:00", "2024-01-01 10:00+24:00", "2024-01-01T10:00 CET", "", None]),
)
AMOUNTS = mostly(
    st.decimals(min_value="0.01", max_value=5000, places=2).map(str)
    | st.sampled_from(["10", " 25.5 ", "0.005", ".5", "999999.995"]),
    st.sampled_from(["0.004", "0", "-0", "-5.00", "1000000.01", "123456789012345678", "1e3", "abc", "", None]),
)
STATUSES = mostly(st.sampled_from([None, "completed", " Shipped ", "DELIVERED"]),
                  st.sampled_from(["cancelled", "refunded", "pending", "lost-in-space"]))
REFUNDED_AMOUNTS = mostly(st.sampled_from([None, "", "0", "2.50", " 1 "]), st.sampled_from(["-1", "x", "4999.99", "1e2"]))
CURRENCIES = mostly(st.sampled_from([None, "EUR", " eur", "usd", "GBP"]), st.sampled_from(["XYZ", ""]))
EMAILS = st.sampled_from([None, "", "ann@x.com", " ANN@x.com ", "bob@x.com", "o'neil@x.com", "zoë@x.com"])
# None: the row keeps its own unique id; the others make collisions, copies and missing ids.
ORDER_IDS = mostly(st.none(), st.sampled_from(["o1", "o2", "o'3", "Ö4", "", None]))


@st.composite
def raw_orders(draw: st.DrawFn) -> list[Row]:
    size = draw(st.integers(0, 40))  # drawn first: plain lists stay tiny in the first examples
    rows = draw(st.lists(st.fixed_dictionaries({
        "order_id": ORDER_IDS, "customer_id": CUSTOMER_IDS, "ordered_at": DATES, "order_total": AMOUNTS,
        "status": STATUSES, "currency": CURRENCIES, "refunded_amount": REFUNDED_AMOUNTS,
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
    "concern": st.sampled_from([None, "wrinkles", "radiance"]),
}), max_size=10)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace for all examples: each replaces the raw tables, and dbt's partial parse stays warm. The
    seeds and the tests of seeds alone read no raw data: built once, here, they are left out of every example's
    build, which keeps every test that reads a model."""
    ws = Workspace(tmp_path_factory.mktemp("hypothesis"))
    ws.dbt("seed", vars=MESSY_VARS)
    return ws


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


# dbt tests whose failure is a verdict on bad random data, not a bug: the build stops, which is right.
# Any other failure or error (a model, a unit test, unique/not_null on a mart, a crash) fails this test.
# Unknown statuses and currencies warn and no share of rejects stops the build (MESSY_VARS): only raw orders
# with nobody scored may stop it, and then the oracle must score nobody either (checked below).
DATA_VERDICTS = ("scores_someone_when_orders_exist",)
FAILED_NODE = re.compile(r"^.*?\b(Failure|\w+ Error) in (\w+) (\S+)", re.MULTILINE)
# Share of examples that must reach the oracle comparison with at least one customer scored.
MIN_SCORED_SHARE = 0.5
# Keep what a seed found in REGRESSIONS.
SEED = HYPOTHESIS_SEED
REGRESSIONS = Path(__file__).with_name("hypothesis_regressions.json")


def failed_nodes(stdout: str) -> list[tuple[str, str, str]]:
    """(what, resource type, node name) for every failure or error dbt reported."""
    return [(m[1], m[2], m[3].split(".")[-1]) for m in FAILED_NODE.finditer(stdout)]


def with_regressions(test):  # noqa: ANN001, ANN201 (a hypothesis test)
    """Every example of REGRESSIONS.json runs first, on every run; a column it predates is null."""
    def rows(case_rows: list[Row], columns: tuple[str, ...]) -> list[Row]:
        return [{c: row.get(c) for c in columns} for row in case_rows]

    for case in json.loads(REGRESSIONS.read_text(encoding="utf-8")):
        test = example(orders=rows(case["orders"], ORDER_COLUMNS), customers=rows(case["customers"], CUSTOMER_COLUMNS),
                       row_order=case["row_order"])(test)
    return test


def test_random_raw_data_builds_and_matches_oracle(workspace: Workspace) -> None:
    outcomes: Counter[str] = Counter()

    @settings(max_examples=int(os.environ.get("RFM_HYPOTHESIS_EXAMPLES", "8")), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @seed(SEED)
    @with_regressions
    @given(orders=raw_orders(), customers=CUSTOMERS, row_order=st.integers(0, 2**32))
    def check(orders: list[Row], customers: list[Row], row_order: int) -> None:
        case = {"orders": orders, "customers": customers, "row_order": row_order}
        note(f"seed {SEED}; as a case of {REGRESSIONS.name}: {json.dumps(case)}")
        # The raw rows reach dbt in another order than the oracle reads them: order must not matter (§7).
        shuffle = random.Random(row_order)
        write_raw(workspace, shuffle.sample(orders, len(orders)), shuffle.sample(customers, len(customers)))
        # Vars stay the same across examples so dbt's partial parse stays warm; the shared tie policy is
        # checked on the scores int_customers_scored computes beside the split ones.
        # (Workspace.dbt leaves unit tests out: they do not read the data, and the demo build runs them.)
        proc = workspace.dbt("build", "--select", "resource_type:model", "resource_type:snapshot",
                             vars=MESSY_VARS, expect_ok=False)
        output = proc.stdout + proc.stderr
        assert "Traceback" not in output and "Unhandled error" not in output, output[-4000:]
        failed = failed_nodes(proc.stdout)
        assert (proc.returncode == 0) == (not failed), proc.stdout[-4000:]
        if failed:
            # Allowed only as a named dbt test's verdict on the data, never a model, unit test or runtime error.
            unexpected = [f for f in failed if f[1] != "test" or not f[2].startswith(DATA_VERDICTS)]
            assert not unexpected, f"not a data verdict: {unexpected}\n{proc.stdout[-4000:]}"
            assert expected_customer_rfm(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY) == {}
            outcomes["stopped"] += 1
            event("build stopped by a data verdict")
            return

        expected = expected_customer_rfm(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY)
        actual = {row["customer_id"]: row for row in workspace.query_dicts("select * from main.customer_rfm")}
        outcomes["scored" if expected else "built, nobody scored"] += 1
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
        assert rejects == expected_rejects_, diff(sorted(rejects.items(), key=str),
                                                  sorted(expected_rejects_.items(), key=str))
        if assert_retention_matches_oracle(workspace, orders, customers):
            event("someone retained")

    check()
    total = sum(outcomes.values())
    print(f"hypothesis seed {SEED}: {dict(outcomes)}")
    assert outcomes["scored"] >= MIN_SCORED_SHARE * total, (
        f"only {outcomes['scored']} of {total} examples scored a customer (seed {SEED}): the examples are too "
        f"often stopped or empty to test the scoring ({dict(outcomes)})")
