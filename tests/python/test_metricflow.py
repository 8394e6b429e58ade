"""The semantic layer answers on DuckDB: `mf query` agrees with the marts (needs requirements-metricflow.txt).

MetricFlow reads target/semantic_manifest.json under the project it runs in, so the query runs in a copy
of the project whose target/ is its own.
"""

from __future__ import annotations

import csv
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BIN_DIR, Workspace, copy_project

MF = BIN_DIR / "mf"
pytestmark = pytest.mark.skipif(not MF.exists(), reason="MetricFlow CLI not installed (requirements-metricflow.txt)")


def run(cmd: list[str], cwd: Path, ws: Workspace) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=ws.env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def test_mf_query_matches_marts(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    project = copy_project(tmp_path / "project")
    run([str(BIN_DIR / "dbt"), "parse", "--vars", '{"rfm_today": "2026-11-25"}'], project, ws)
    out = tmp_path / "by_segment.csv"
    run([str(MF), "query", "--metrics", "customers,revenue", "--group-by", "customer__segment",
         "--csv", str(out)], project, ws)

    with out.open(newline="", encoding="utf-8") as fh:
        answered = {row["customer__segment"]: (int(row["customers"]), Decimal(row["revenue"]).quantize(Decimal("0.01")))
                    for row in csv.DictReader(fh)}
    expected = {code: (customers, revenue) for code, customers, revenue in ws.query(
        "select segment_code, count(*), sum(monetary) from main.customer_rfm group by segment_code")}
    assert answered == expected
