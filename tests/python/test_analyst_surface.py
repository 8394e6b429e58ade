"""The analysts' surface end to end, on edited copies of the project (README, "The segment map").

- Every rfm_score_levels from 2 to 9 builds (the map's tests included) and matches the oracle, each with a
  complete map derived by scripts/derive_segment_map.py.
- One warehouse goes through the README's edits in turn, never with --full-refresh: a 12th segment with
  three cells moved to it, quintiles, a 12-month scoring window. After each build every mart, the history,
  the report, the audience export and (when mf is installed) the semantic layer reflect the edit, and the
  oracle agrees.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape
from conftest import BIN_DIR, PROJECT_DIR, TODAY, DemoData, Workspace, copy_project, generate_demo, parse_for_mf
from test_oracle import assert_same_rfm

import oracle
from oracle import expected_customer_rfm

NEW_SEGMENT = "vip_at_risk,VIP at Risk,VIP à risque,12,Big spenders slipping away.,Call them.,true,#123456"
NEW_MESSAGE = "rfm,vip_at_risk,,Your VIP status is waiting,Personal call,phone"
# quartile cells of Can't Lose Them handed to the new segment
MOVED_CELLS = ("4,1,4,4", "4,2,4,4", "4,1,4,3")


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    return generate_demo(tmp_path_factory.mktemp("small"), "--customers", "400")


def run_script(ws: Workspace, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / script), *args],
                          cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{script} {' '.join(args)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def derive(ws: Workspace, project: Path, levels: int) -> None:
    run_script(ws, "derive_segment_map.py", "--levels", str(levels), "--map", str(project / "seeds" / "rfm_segment_map.csv"))


def expected(data: DemoData, project: Path, **kw) -> dict[str, dict]:
    return expected_customer_rfm(oracle.read_orders_csv(data.orders), oracle.read_customers_csv(data.customers),
                                 seeds_dir=project / "seeds", today=TODAY, **kw)


def append_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def test_every_level_count_builds_and_matches_oracle(small_data: DemoData, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    ws = Workspace(tmp_path / "ws", project)
    for levels in (2, 3, 6, 7, 8, 9):
        derive(ws, project, levels)
    ws.load(small_data.orders, small_data.customers)
    ws.dbt("build", vars={"rfm_score_levels": 2})
    assert_same_rfm(ws, expected(small_data, project, score_levels=2))
    for levels in range(3, 10):
        # the map with its tests, and the scoring models (history included: a test compares it with
        # customer_rfm) at this level count; their unit tests fix their own inputs (the scoring ones pin 4
        # levels) and would only repeat scripts/test.sh's first build
        ws.dbt("build", "--select", "rfm_segment_map", "int_customers_scored", "rfm_segment_history",
               "int_segment_history_sequenced", "customer_rfm", vars={"rfm_score_levels": levels})
        assert ws.query("select distinct score_levels from main.customer_rfm") == [(levels,)]
        assert_same_rfm(ws, expected(small_data, project, score_levels=levels))


def segments_of(project: Path) -> list[dict[str, str]]:
    with (project / "seeds" / "rfm_segments.csv").open(newline="", encoding="utf-8") as fh:
        return sorted(csv.DictReader(fh), key=lambda row: int(row["display_order"]))


def check_outputs(ws: Workspace, data: DemoData, project: Path, tmp_path: Path, **settings) -> None:
    """Every output agrees with the seeds of `project` and the oracle under `settings` (score_levels,
    scoring_window)."""
    segments = segments_of(project)
    codes = [s["segment_code"] for s in segments]
    names = {s["segment_code"]: s["segment_name"] for s in segments}
    assert_same_rfm(ws, expected(data, project, **settings))
    assert ws.query("select distinct score_levels from main.customer_rfm") == [(settings["score_levels"],)]

    summary = ws.query_dicts("select * from main.rfm_segment_summary order by display_order")
    assert [r["segment_code"] for r in summary] == codes
    assert [(r["segment_name"], r["colour"], str(r["is_churned"]).lower()) for r in summary] == \
        [(s["segment_name"], s["colour"], s["is_churned"]) for s in segments]

    # the history's latest period is scored like customer_rfm would have been on its scoring date
    (period, as_of), = ws.query("select period_start_date, as_of_date from main.rfm_segment_history "
                                "order by period_start_date desc limit 1")
    in_history = {cid: (r, f, m, code) for cid, r, f, m, code in ws.query(
        f"select customer_id, r_score, f_score, m_score, segment_code from main.rfm_segment_history "
        f"where period_start_date = '{period}'")}
    assert in_history == {cid: (e["r_score"], e["f_score"], e["m_score"], e["segment_code"])
                          for cid, e in expected(data, project, as_of_date=as_of, **settings).items()}
    trend = ws.query(f"select segment_code, segment_name, display_order from main.rfm_segment_trend "
                     f"where period_start_date = '{period}' order by display_order")
    assert trend == [(s["segment_code"], s["segment_name"], int(s["display_order"])) for s in segments]
    labels = {label for (label,) in ws.query(
        "select from_segment_label from main.rfm_segment_migration union select to_segment_label from main.rfm_segment_migration")}
    assert labels <= {*names.values(), "(new)", "(gone)"} and labels & set(names.values())

    members = ws.query("select segment_code, count(*), count(message_theme) from main.audience_members "
                       "where segmentation = 'rfm' group by segment_code")
    assert members and all(total == with_theme for _, total, with_theme in members), members
    assert {code for code, _, _ in members} <= set(codes)

    html_path = tmp_path / "report.html"
    run_script(ws, "report.py", "--database", str(ws.db_path), "--out", str(html_path))
    html = html_path.read_text(encoding="utf-8")
    levels = settings["score_levels"]
    assert f"on {levels} score levels" in html
    for segment in segments:
        assert str(escape(segment["segment_name"])) in html and segment["colour"] in html, segment

    out = tmp_path / "exports"
    run_script(ws, "export_audiences.py", "--segmentation", "rfm", "--out", str(out), "--export-date", "2026-07-01",
               "--profiles-dir", str(ws.root / "profiles"))
    manifest = json.loads((out / "rfm" / "manifest.json").read_text(encoding="utf-8"))
    assert {code: entry["rows"] for code, entry in manifest["segments"].items()} == \
        {code: total for code, total, _ in members}

    if (BIN_DIR / "mf").exists():
        check_semantic_layer(ws, project, settings)


def check_semantic_layer(ws: Workspace, project: Path, settings: dict) -> None:
    """mf answers customers and churned customers per segment as the marts and the seed say."""
    parse_for_mf(ws, project, {"rfm_today": TODAY.isoformat(), "rfm_score_levels": settings["score_levels"]})
    out = project / "by_segment.csv"
    subprocess.run([str(BIN_DIR / "mf"), "query", "--metrics", "customers,churned_customers", "--group-by",
                    "customer__segment", "--csv", str(out)], cwd=project, env=ws.env, check=True, capture_output=True)
    with out.open(newline="", encoding="utf-8") as fh:
        answered = {row["customer__segment"]: (int(row["customers"]), int(row["churned_customers"] or 0))
                    for row in csv.DictReader(fh)}
    assert answered == {code: (customers, churned) for code, customers, churned in ws.query(
        "select c.segment_code, count(*), count(*) filter (where s.is_churned or c.recency_days > 365) "
        "from main.customer_rfm as c join main.rfm_segment_summary as s using (segment_code) group by 1")}


def test_analyst_edits_reach_every_output(small_data: DemoData, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    ws = Workspace(tmp_path / "ws", project)
    ws.load(small_data.orders, small_data.customers)
    ws.dbt("build")

    # a 12th segment: its row, three cells moved to it, its message (the build names it when missing)
    seeds = project / "seeds"
    append_line(seeds / "rfm_segments.csv", NEW_SEGMENT)
    append_line(seeds / "segment_messages.csv", NEW_MESSAGE)
    map_path = seeds / "rfm_segment_map.csv"
    map_text = map_path.read_text(encoding="utf-8")
    for cell in MOVED_CELLS:
        assert f"\n{cell},cannot_lose\n" in map_text
        map_text = map_text.replace(f"\n{cell},cannot_lose\n", f"\n{cell},vip_at_risk\n")
    map_path.write_text(map_text, encoding="utf-8")
    ws.dbt("build")
    check_outputs(ws, small_data, project, tmp_path / "twelve", score_levels=4)
    assert ws.query("select customers > 0 from main.rfm_segment_summary where segment_code = 'vip_at_risk'") == [(True,)]

    # quintiles: one var, with the quintile rows derived again from the edited quartile map
    derive(ws, project, 5)
    ws.dbt("build", vars={"rfm_score_levels": 5})
    check_outputs(ws, small_data, project, tmp_path / "quintiles", score_levels=5)

    # a 12-month window: one var; the incremental facts and the history follow without --full-refresh
    window = {"rfm_score_levels": 5, "rfm_scoring_window": "12 months"}
    assert expected(small_data, project, score_levels=5, scoring_window=(12, "month")) != \
        expected(small_data, project, score_levels=5), "the window changes nothing on this data: a vacuous test"
    ws.dbt("build", vars=window)
    check_outputs(ws, small_data, project, tmp_path / "window", score_levels=5, scoring_window=(12, "month"))

    # the next day's run: the default scoring date moves on, and purchases that left the window since the
    # last run stop counting although nothing about their customers changed
    next_order = {"order_id": "NEXT1", "customer_id": "C0000001", "ordered_at": "2026-08-31", "order_total": "10",
                  "status": "completed", "currency": None, "refund_of_order_id": None}
    ws.load([next_order], None, "--append")  # no customer changes
    ws.dbt("build", vars=window)
    orders = [*oracle.read_orders_csv(small_data.orders), next_order]
    after = expected_customer_rfm(orders, oracle.read_customers_csv(small_data.customers), seeds_dir=seeds,
                                  today=TODAY, score_levels=5, scoring_window=(12, "month"))
    assert next(iter(after.values()))["as_of_date"] == date(2026, 9, 1)
    assert_same_rfm(ws, after)
