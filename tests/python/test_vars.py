"""Every var of dbt_project.yml is built end to end at a value other than its default at least once, and
compared with the oracle where the oracle covers it.

VARS_BUILT_BY maps each var to the test that does it; a var added to dbt_project.yml without such a test
fails `test_every_var_is_built_at_a_non_default_value`. The builds the other files do not do are here: the
scoring settings with their seeds made to match (3 score levels with a derived 27-cell map, base currency
USD with rates to USD), the raw tables in another schema, the replenishment window, a lookback of 0 days,
the weekly history, and the default severity of unknown statuses stopping a build.
"""

from __future__ import annotations

import ast
import csv
import subprocess
import sys
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from conftest import DIRTY_VARS as DIRTY
from conftest import MESSY_VARS, PROJECT_DIR, TODAY, DemoData, Workspace, copy_project
from test_history import HISTORY_MODELS, HISTORY_SQL, SCORE_COLUMNS, _by_customer
from test_incremental import (BUILD, CUSTOMER_COLUMNS, ORDER_COLUMNS, assert_same_as_full_refresh, customer_delta,
                              next_day, read_rows, write_rows)
from test_oracle import assert_same_rejects, assert_same_rfm

import oracle

TESTS_DIR = Path(__file__).parent
# var -> "file::test" that builds the project with the var at a non-default value (and checks the result)
VARS_BUILT_BY = {
    "as_of_date": "test_oracle.py::test_demo_past_as_of_date_matches_oracle",
    "rfm_today": "test_incremental.py::test_incremental_day_equals_full_refresh",
    "rfm_score_levels": "test_vars.py::test_scoring_settings_match_oracle",
    "rfm_tie_policy": "test_oracle.py::test_demo_shared_matches_oracle",
    "rfm_max_order_total": "test_vars.py::test_scoring_settings_match_oracle",
    "rfm_base_currency": "test_vars.py::test_scoring_settings_match_oracle",
    "rfm_raw_schema": "test_vars.py::test_scoring_settings_match_oracle",
    "rfm_unknown_status_severity": "test_oracle.py::test_dirty_demo_matches_oracle",
    "rfm_incremental_lookback_days": "test_vars.py::test_lookback_of_zero_days_equals_full_refresh",
    "rfm_history_grain": "test_vars.py::test_weekly_history_matches_oracle",
    "rfm_history_start": "test_history.py::test_incremental_append_equals_full_refresh",
    "rfm_engagement_inactivity_days": "test_engagement.py::test_engagement_matches_oracle",
    "rfm_replenishment_lead_days": "test_vars.py::test_scoring_settings_match_oracle",
    "rfm_replenishment_grace_days": "test_vars.py::test_scoring_settings_match_oracle",
    "rfm_scoring_window": "test_analyst_surface.py::test_analyst_edits_reach_every_output",
    "rfm_clv_horizon_months": "test_clv.py::test_sql_matches_scipy_with_other_parameters",
    "rfm_clv_discount_rate": "test_clv.py::test_sql_matches_scipy_with_other_parameters",
    "rfm_clv_max_parameter_age_days": "test_clv.py::test_sql_matches_scipy_with_other_parameters",
    "rfm_flow_conversion_window_days": "test_campaigns.py::test_results_match_the_oracle_and_hold_the_planted_uplift",
    "rfm_flow_min_group_size": "test_campaigns.py::test_results_match_the_oracle_and_hold_the_planted_uplift",
    "rfm_unknown_currency_severity": "test_oracle.py::test_dirty_demo_matches_oracle",
    "rfm_reject_share_warn": "test_time_zones.py::test_platform_orders_match_the_oracle",
    "rfm_reject_share_error": "test_time_zones.py::test_platform_orders_match_the_oracle",
    "rfm_reporting_time_zone": "test_time_zones.py::test_platform_orders_match_the_oracle",
    "rfm_column_map": "test_own_data.py::test_typed_warehouse_tables_through_the_column_map",
    "rfm_inputs": "test_own_data.py::test_host_project_with_the_package",
    "rfm_seeds": "test_own_data.py::test_host_project_with_the_package",
    "rfm_relation_prefix": "test_own_data.py::test_host_project_with_the_package",
}
# vars a test sets through the shared dicts of conftest.py
SHARED_VARS = {"DIRTY_VARS": DIRTY, "MESSY_VARS": MESSY_VARS}


def source_run_by(file: str, function: str) -> tuple[str, set[str]]:
    """The source a test runs from its own module, and the names it reads: the test function, the module's
    functions and fixtures it calls or takes, and the module constants they read, transitively (a var set in
    another test of the same file does not count). Names are unaliased (`DIRTY_VARS as DIRTY`)."""
    text = (TESTS_DIR / file).read_text(encoding="utf-8")
    tree = ast.parse(text)
    definitions: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            definitions[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            definitions.update({t.id: node for t in targets if isinstance(t, ast.Name)})
    aliases = {alias.asname: alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
               for alias in node.names if alias.asname}
    assert function in definitions, f"{file} has no function {function}"
    seen, todo, names = set(), [function], set()
    while todo:
        node = definitions[todo.pop()]
        if id(node) in seen:
            continue
        seen.add(id(node))
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if isinstance(node, ast.FunctionDef):  # fixtures it takes
            used |= {a.arg for a in node.args.args}
        names |= {aliases.get(name, name) for name in used}
        todo += [name for name in used if name in definitions]
    parts = [ast.get_source_segment(text, node) or "" for node in tree.body if id(node) in seen]
    return "\n".join(parts), names


def test_every_var_is_built_at_a_non_default_value() -> None:
    project_vars = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    assert sorted(project_vars) == sorted(VARS_BUILT_BY), (
        "each var of dbt_project.yml needs a test that builds it at a non-default value (VARS_BUILT_BY)")
    for var, node in VARS_BUILT_BY.items():
        source, names = source_run_by(*node.split("::"))
        shared = {v for name, values in SHARED_VARS.items() if name in names for v in values}
        assert var in source or var in shared, f"{var}: {node} never sets it"


# ------------------------------------------------------------------------- scoring settings vs the oracle


def three_level_map(seeds: Path) -> None:
    """The 3-level rows of the segment map, derived from the 4-level ones by scripts/derive_segment_map.py."""
    subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "derive_segment_map.py"), "--levels", "3",
                    "--map", str(seeds / "rfm_segment_map.csv")], check=True, capture_output=True)


def rates_to(seeds: Path, base: str) -> None:
    """seeds/currency_rates.csv converted to another base currency (the base itself at rate 1)."""
    path = seeds / "currency_rates.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    base_rate = next(Decimal(r["rate_to_base"]) for r in rows if r["currency_code"] == base)
    for row in rows:
        row["rate_to_base"] = str((Decimal(row["rate_to_base"]) / base_rate).quantize(Decimal("0.000001")))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def replenishment_due(row: dict, lead_days: int, grace_days: int) -> bool:
    """docs/lifecycle.md: own cycle = days first to last purchase / (purchases - 1), 1 decimal half up; due
    from cycle - lead to cycle + grace days since the last purchase."""
    if row["frequency"] < 2:
        return False
    span = (row["last_order_date"] - row["first_order_date"]).days
    cycle = (Decimal(span) / (row["frequency"] - 1)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return cycle - lead_days <= row["recency_days"] <= cycle + grace_days


def test_scoring_settings_match_oracle(dirty_demo_data: DemoData, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    three_level_map(project / "seeds")
    rates_to(project / "seeds", "USD")
    settings = {"rfm_score_levels": 3, "rfm_base_currency": "USD", "rfm_max_order_total": 5000,
                "rfm_raw_schema": "landing", "rfm_replenishment_lead_days": 2, "rfm_replenishment_grace_days": 5}
    ws = Workspace(tmp_path / "ws", project=project)
    ws.load(dirty_demo_data.orders, dirty_demo_data.customers, "--schema", "landing")
    # Unit tests are left out: their fixtures are written for the default vars (4 levels, EUR, 7/30 days).
    ws.dbt("build", "--exclude-resource-type", "unit_test", vars={**DIRTY, **settings})

    orders = oracle.read_orders_csv(dirty_demo_data.orders)
    customers = oracle.read_customers_csv(dirty_demo_data.customers)
    common = {"seeds_dir": project / "seeds", "today": TODAY, "max_order_total": Decimal(5000), "base_currency": "USD"}
    expected = oracle.expected_customer_rfm(orders, customers, score_levels=3, **common)
    assert {r["r_score"] for r in expected.values()} == {1, 2, 3}
    assert_same_rfm(ws, expected)
    rejects = oracle.expected_rejects(orders, customers, **common)
    assert_same_rejects(ws, rejects)
    assert "absurd_order_total" in {reason for _, _, reason in rejects}, "no order above 5000: not tested"

    due = dict(ws.query("select customer_id, is_replenishment_due from main.int_customer_lifecycle_profiles"
                        " where order_count >= 1"))
    want = {cid: replenishment_due(row, 2, 5) for cid, row in expected.items()}
    assert due == want, {cid: (due.get(cid), flag) for cid, flag in want.items() if due.get(cid) != flag}
    assert sum(want.values()) != sum(replenishment_due(row, 7, 30) for row in expected.values()), (
        "the window 2/5 days flags the same number of customers as 7/30: it would not be tested")


# ------------------------------------------------------------------------------------- other settings


def test_lookback_of_zero_days_equals_full_refresh(dirty_demo_data: DemoData, tmp_path: Path) -> None:
    """With no lookback, the late row dated inside the default 3 days is outside it: still a full refresh's
    result."""
    settings = {**DIRTY, "rfm_incremental_lookback_days": 0}
    ws = Workspace(tmp_path / "incremental")
    ws.load(dirty_demo_data.orders, dirty_demo_data.customers)
    ws.dbt(*BUILD, vars=settings)
    orders, customers = read_rows(dirty_demo_data.orders), read_rows(dirty_demo_data.customers)
    day = tmp_path / "day"
    day.mkdir()
    ws.load(write_rows(day / "orders.csv", next_day(orders), ORDER_COLUMNS),
            write_rows(day / "customers.csv", customer_delta(customers, orders), CUSTOMER_COLUMNS), "--append")
    ws.dbt(*BUILD, vars=settings)
    assert_same_as_full_refresh(ws, tmp_path / "full", settings)


def test_weekly_history_matches_oracle(demo_build: Workspace, demo_data: DemoData, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    ws.dbt("run", "--full-refresh", "--select", *HISTORY_MODELS,
           vars={"rfm_history_grain": "week", "rfm_history_start": "3"})
    periods = ws.query("select distinct period_start_date, as_of_date, period_grain from rfm_segment_history"
                       " order by 1")
    assert len(periods) == 3 and {grain for _, _, grain in periods} == {"week"}
    assert all(start.isoweekday() == 1 and end == start + timedelta(days=7) for start, end, _ in periods), periods
    (as_of_date,) = ws.query("select max(as_of_date) from customer_rfm")[0]
    assert periods[-1][1] <= as_of_date < periods[-1][1] + timedelta(days=7)
    start, scoring_date, _ = periods[0]
    expected = oracle.expected_customer_rfm(
        oracle.read_orders_csv(demo_data.orders), oracle.read_customers_csv(demo_data.customers),
        seeds_dir=PROJECT_DIR / "seeds", as_of_date=scoring_date, today=TODAY)
    rows = ws.query_dicts(f"{HISTORY_SQL} where period_start_date = date '{start}'")
    assert _by_customer(rows) == {cid: {c: row[c] for c in SCORE_COLUMNS} for cid, row in expected.items()}


def test_unknown_status_stops_the_build_and_keeps_marts(demo_build: Workspace, dirty_demo_data: DemoData,
                                                        tmp_path: Path) -> None:
    """The default rfm_unknown_status_severity (error): a status missing from the seed stops `dbt build`
    naming it, before any mart is replaced."""
    ws = demo_build.clone(tmp_path / "ws")
    before = ws.query("select * from main.customer_rfm order by customer_id")
    ws.load(dirty_demo_data.orders, dirty_demo_data.customers)
    proc = ws.dbt("build", expect_ok=False)
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert "is not in order_statuses.status" in proc.stdout, proc.stdout[-3000:]
    assert ws.query("select * from main.customer_rfm order by customer_id") == before
