"""Every custom generic test (tests/generic/, `{% test %}` blocks) is shown to fail when what it guards breaks.

Each case here copies the built demo, breaks one table the way a bug would (a lost row, a count that no
longer adds up, a raw row nobody accounted for), runs only that generic test and checks it fails with its
sentence. The tests whose failing case lives in another file are mapped to it; a generic test added later
without a failing case fails `test_every_generic_test_has_a_failing_case`.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, Workspace

# generic test -> (SQL that breaks what it guards, words of the failure it must report; " | " between the
# words of each failure when the break makes several)
CASES: dict[str, tuple[str, str]] = {
    "equal_row_count": (
        "delete from main.customer_rfm where customer_id = (select min(customer_id) from main.customer_rfm)",
        "customer_rfm has {customers_minus_one} rows but int_customers_scored has {customers}",
    ),
    "segment_totals_match": (
        "update main.rfm_segment_summary set customers = customers + 1"
        " where segment_code = (select min(segment_code) from main.rfm_segment_summary)",
        "segments hold {customers_plus_one} customers",
    ),
    "raw_rows_reconcile": (
        "insert into raw.orders by name select 'lost-row' as order_id, 'C1' as customer_id,"
        " '2026-01-01' as ordered_at, '5' as order_total",
        "orders: {orders_plus_one} raw rows",
    ),
    # the demo's scoring date is the start of a stored period: one customer's frequency changes there
    "history_matches_customer_rfm": (
        "update main.rfm_segment_history set frequency = frequency + 1"
        " where as_of_date = (select max(as_of_date) from main.customer_rfm)"
        " and customer_id = (select min(customer_id) from main.customer_rfm)",
        "differs between rfm_segment_history and customer_rfm",
    ),
    "migration_adds_up": (
        "update main.rfm_segment_migration set customers = customers + 1 where period_start_date ="
        " (select max(period_start_date) from main.rfm_segment_migration) and from_segment_code is not null",
        "migrations count",
    ),
    # a copy of a customer's row without its monetary value: a null, and the key twice
    "columns_not_null": (
        "insert into main.customer_rfm select * replace (null as monetary) from main.customer_rfm"
        " where customer_id = (select min(customer_id) from main.customer_rfm)",
        "customer_rfm.monetary is null on 1 of {customers_plus_one} rows | appears 2 times in customer_rfm",
    ),
    "unique_combination": (
        "insert into main.audience_members select * from main.audience_members"
        " where segmentation = 'rfm' and customer_id ="
        " (select min(customer_id) from main.audience_members where segmentation = 'rfm')",
        "appears 2 times in audience_members",
    ),
    "matches_pattern": (
        "update main.rfm_segments set colour = 'red' where segment_code = 'lost'",
        'colour "red" does not match',
    ),
    "one_row_per_customer": (
        "insert into main.customer_lifecycle select * from main.customer_lifecycle"
        " where customer_id = (select min(customer_id) from main.customer_lifecycle)",
        "has 2 rows in customer_lifecycle",
    ),
    "clv_series_converged": (
        "update main.int_customers_clv_predicted set series_tail_bound = 0.001"
        " where customer_id = (select min(customer_id) from main.int_customers_clv_predicted)",
        "the 2F1 series of the expected purchases may be off by 0.001",
    ),
}
# generic tests whose failing case is elsewhere: test -> the pytest test that makes it fail
COVERED_ELSEWHERE = {
    "grid_complete": "test_seed_guard.py::test_bad_seed_edit_stops_build_and_keeps_marts",
    "values_in_range": "test_seed_guard.py::test_bad_seed_edit_stops_build_and_keeps_marts",
    "values_in": "test_seed_guard.py::test_bad_seed_edit_stops_build_and_keeps_marts",
    "lifecycle_rules_can_match": "test_lifecycle.py::test_rule_that_never_matches_stops_build_and_keeps_marts",
    "lifecycle_segments_not_empty": "test_lifecycle.py::test_empty_segment_warns_naming_it",
    "reject_share_within_limits": "test_loud_failures.py::test_too_many_rejects_fail_naming_reasons_and_keep_the_marts",
    "scores_someone_when_orders_exist": "test_loud_failures.py::test_accepted_orders_that_score_nobody_fail",
    "clv_parameters_fresh": "test_clv.py::test_sql_matches_scipy_with_other_parameters",
}


def defined_generic_tests() -> set[str]:
    sources = [*(PROJECT_DIR / "tests" / "generic").rglob("*.sql"), *(PROJECT_DIR / "macros").rglob("*.sql")]
    return {name for path in sources
            for name in re.findall(r"{%-?\s*test\s+(\w+)\s*\(", path.read_text(encoding="utf-8"))}


def test_every_generic_test_has_a_failing_case() -> None:
    assert defined_generic_tests() == CASES.keys() | COVERED_ELSEWHERE.keys(), (
        "map each generic test to a case that makes it fail (CASES or COVERED_ELSEWHERE)")
    for node in COVERED_ELSEWHERE.values():
        file, function = node.split("::")
        assert f"def {function}(" in (Path(__file__).parent / file).read_text(encoding="utf-8"), node


@pytest.mark.parametrize("generic_test", CASES)
def test_generic_test_fails_when_broken(generic_test: str, demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path)
    counts = {
        "customers": ws.query("select count(*) from main.customer_rfm")[0][0],
        "orders": ws.query("select count(*) from raw.orders")[0][0],
    }
    words = CASES[generic_test][1].format(customers=counts["customers"],
                                         customers_minus_one=counts["customers"] - 1,
                                         customers_plus_one=counts["customers"] + 1,
                                         orders_plus_one=counts["orders"] + 1)
    with duckdb.connect(str(ws.db_path)) as con:
        assert con.execute(CASES[generic_test][0]).fetchall() != [(0,)], "the break changed no row"

    proc = ws.dbt("test", "--select", f"test_name:{generic_test}", expect_ok=False)
    assert proc.returncode != 0, f"{generic_test} passed on broken data\n{proc.stdout[-3000:]}"
    for failure in words.split(" | "):
        assert failure in proc.stdout, proc.stdout[-3000:]
