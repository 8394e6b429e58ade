"""Lifecycle segments (docs/lifecycle.md): one segment per customer on the demo, an audit that adds up, a
rule that can never match stops the build naming it (marts unchanged), and audience exports that hold no
customer without marketing consent.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, SEEDS_DIR, DemoData, Workspace, build_edited_copy, copy_project

RULES_HEADER_START = "segment_code,segment_name,priority,min_orders,max_orders,"


def test_every_customer_has_exactly_one_lifecycle_segment(demo_build: Workspace) -> None:
    expected_ids = {r[0] for r in demo_build.query(
        "select customer_id from main.int_customers_deduplicated union select customer_id from main.customer_rfm")}
    rows = demo_build.query("select customer_id, lifecycle_segment_code from main.customer_lifecycle")
    ids = [customer_id for customer_id, _ in rows]
    assert len(ids) == len(set(ids)), "a customer has two lifecycle rows"
    assert set(ids) == expected_ids, "customer_lifecycle does not hold every customer (buyers and never-buyers)"
    known = {r[0] for r in demo_build.query("select segment_code from main.lifecycle_segment_rules")} | {"unclassified"}
    assert {segment for _, segment in rows} <= known
    assert all(segment is not None for _, segment in rows)

    audit = demo_build.query_dicts("select * from main.lifecycle_segment_audit")
    assert sum(r["assigned_customers"] for r in audit) == len(ids), "the audit does not add up to the customers"
    for row in audit:
        assert row["never_match_reason"] is None, row
        assert row["matching_customers"] >= row["assigned_customers"], row
        assert row["kept_by_higher_priority"] == row["matching_customers"] - row["assigned_customers"] or \
            row["is_unclassified"], row
    # Every rule of the shipped playbook holds somebody on the demo.
    assert all(r["assigned_customers"] > 0 for r in audit if not r["is_unclassified"]), audit


def test_customer_segments_side_by_side(demo_build: Workspace) -> None:
    (mismatch,) = demo_build.query("""
        select count(*) from main.customer_segments as s
        left join main.customer_rfm as r on s.customer_id = r.customer_id
        where s.rfm_segment_code is distinct from r.segment_code""")[0]
    assert mismatch == 0
    (total, lifecycle) = demo_build.query(
        "select (select count(*) from main.customer_segments), (select count(*) from main.customer_lifecycle)")[0]
    assert total == lifecycle


def edit_rules(project: Path, edit: Callable[[list[dict[str, str]]], None]) -> None:
    path = project / "seeds" / "lifecycle_segment_rules.csv"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(RULES_HEADER_START)
    rows = list(csv.DictReader(text.splitlines()))
    edit(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_fields(segment: str, **values: str) -> Callable[[list[dict[str, str]]], None]:
    def edit(rows: list[dict[str, str]]) -> None:
        (row,) = [r for r in rows if r["segment_code"] == segment]
        row.update(values)
    return edit


NEVER_MATCHES = {
    # crossed bounds
    "min above max": (
        set_fields("champions", max_orders="2"),
        "rule champions (priority 10) can never match: min_orders is above max_orders",
    ),
    # "all" of two conditions that exclude each other: never bought, yet inactive for 30+ days
    "contradictory conditions": (
        set_fields("engaged_no_purchase", min_days_since_last_order="30"),
        "rule engaged_no_purchase (priority 90) can never match: max_orders below 1 (never bought) "
        "contradicts a days-since-last-order bound",
    ),
}


@pytest.mark.parametrize("case", NEVER_MATCHES)
def test_rule_that_never_matches_stops_build_and_keeps_marts(
    case: str, demo_build: Workspace, demo_data: DemoData, tmp_path: Path
) -> None:
    edit, expected_message = NEVER_MATCHES[case]
    ws = demo_build.clone(tmp_path / "ws")
    before = ws.query("select * from main.customer_lifecycle order by customer_id")
    assert before

    proc = build_edited_copy(ws, demo_data, tmp_path, lambda project: edit_rules(project, edit))
    assert proc.returncode != 0, f"dbt build passed with a rule that never matches ({case})"
    assert expected_message in proc.stdout, proc.stdout[-4000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    after = ws.query("select * from main.customer_lifecycle order by customer_id")
    assert after == before, "customer_lifecycle changed although the rules test failed"


def run_export(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "export_audiences.py"), *args],
        cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True,
    )


def test_exports_hold_no_customer_without_consent(demo_build: Workspace, tmp_path: Path) -> None:
    consenting = {r[0] for r in demo_build.query(
        "select email from main.customer_segments where accepts_marketing and email is not null")}
    refusing = {r[0] for r in demo_build.query(
        "select email from main.customer_segments where not coalesce(accepts_marketing, false) and email is not null")}
    assert consenting and refusing
    out = tmp_path / "exports"
    for segmentation in ("lifecycle", "rfm"):
        proc = run_export(demo_build, "--segmentation", segmentation, "--out", str(out), "--export-date", "2026-07-01")
        assert proc.returncode == 0, proc.stderr
        folder = out / segmentation
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        exported: list[str] = []
        for code, entry in manifest["segments"].items():
            content = (folder / entry["file"]).read_bytes()
            assert hashlib.sha256(content).hexdigest() == entry["sha256"]
            rows = list(csv.DictReader(content.decode("utf-8").splitlines()))
            assert len(rows) == entry["rows"]
            assert all(r["segment"] == code and r["email"] == r["email"].strip().lower() for r in rows)
            assert content.decode("utf-8").splitlines()[0] == "email,first_name,segment,message_theme"
            exported += [r["email"] for r in rows]
        assert len(exported) == len(set(exported)) == manifest["total_rows"]
        assert set(exported) <= consenting
        assert not set(exported) & refusing, "an export holds a customer who refused marketing"
        # what the audiences were scored with, from the mart and from the seed file itself
        assert manifest["as_of_date"] == str(demo_build.query("select max(as_of_date) from main.customer_rfm")[0][0])
        with (SEEDS_DIR / "rfm_segment_map.csv").open(encoding="utf-8") as fh:
            cells = sorted(",".join(row[k] for k in sorted(row)) for row in csv.DictReader(fh))
        assert manifest["segment_map_sha256"] == hashlib.sha256("\n".join(cells).encode("utf-8")).hexdigest()
        assert "refused" in manifest["rules"]["consent"]


def test_export_refuses_another_date_and_bad_input(demo_build: Workspace, tmp_path: Path) -> None:
    out = str(tmp_path / "exports")
    assert run_export(demo_build, "--segmentation", "lifecycle", "--out", out, "--export-date", "2026-07-01").returncode == 0
    before = (tmp_path / "exports" / "lifecycle" / "manifest.json").read_text(encoding="utf-8")
    proc = run_export(demo_build, "--segmentation", "lifecycle", "--out", out, "--export-date", "2026-07-02")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"error: {out}/lifecycle holds the export of 2026-07-01; pass --replace to overwrite it with 2026-07-02"]
    assert (tmp_path / "exports" / "lifecycle" / "manifest.json").read_text(encoding="utf-8") == before
    proc = run_export(demo_build, "--segmentation", "lifecycle", "--out", out, "--export-date", "2026-07-02", "--replace")
    assert proc.returncode == 0, proc.stderr
    proc = run_export(demo_build, "--segmentation", "lifecycle", "--out", out, "--export-date", "July 1st")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_export_reports_moved_and_empty_segments_before_writing(demo_build: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    assert run_export(demo_build, "--segmentation", "lifecycle", "--out", str(out), "--export-date", "2026-07-01").returncode == 0
    manifest_path = out / "lifecycle" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    # Pretend the last export had one champion and a segment that has since emptied.
    manifest["segments"]["champions"]["rows"] = 1
    manifest["segments"]["retired_segment"] = {"file": "retired_segment.csv", "rows": 7, "sha256": "0"}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    edited = manifest_path.read_text(encoding="utf-8")

    proc = run_export(demo_build, "--segmentation", "lifecycle", "--out", str(out), "--export-date", "2026-07-01",
                      "--strict")
    assert proc.returncode == 2
    assert "warning: segment champions moved from 1 to" in proc.stderr
    assert "warning: segment retired_segment is empty (had 7 at the last export)" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: 2 segment(s) reported above")
    assert manifest_path.read_text(encoding="utf-8") == edited, "--strict wrote although segments were reported"

    proc = run_export(demo_build, "--segmentation", "lifecycle", "--out", str(out), "--export-date", "2026-07-01")
    assert proc.returncode == 0 and "warning: segment champions moved" in proc.stderr
    assert (out / "lifecycle" / "retired_segment.csv").read_text(encoding="utf-8") == "email,first_name,segment,message_theme\n"


def test_empty_segment_warns_naming_it(demo_build: Workspace, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    ws = replace(demo_build.clone(tmp_path / "ws"), project=project)
    # A cycle window of one day: possible, but nobody on the demo is in it.
    edit_rules(project, set_fields("wave_replenishment", min_purchase_cycle_days="55", max_purchase_cycle_days="55"))
    proc = ws.dbt("build", "--select", "lifecycle_segment_rules+")
    assert "lifecycle segment wave_replenishment holds no customer (0 match its rule on its own)" in proc.stdout
