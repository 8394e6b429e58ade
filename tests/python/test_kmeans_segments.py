"""scripts/kmeans_segments.py on the demo: outputs exist, add up, and the run is reproducible.

Skipped when scikit-learn is not installed (pip install -r requirements-analysis.txt).
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, Workspace

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install -r requirements-analysis.txt)")

OUTPUTS = ("k_selection.png", "k_selection.csv", "clusters.csv", "segments_vs_clusters.csv", "customers.csv",
           "summary.json")


def run_kmeans(ws: Workspace, out_dir: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "kmeans_segments.py"), "--database", str(ws.db_path),
         "--out-dir", str(out_dir)],
        cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def run(demo_build: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("kmeans")
    return out, run_kmeans(demo_build, out).stdout


def planted_marts(path: Path, rnd: random.Random) -> dict[str, str]:
    """A database whose customer_rfm holds three far-apart groups of customers, each its own segment."""
    groups = {"Recent small": (10, 1, 20.0), "Loyal big": (40, 12, 3000.0), "Gone": (600, 3, 250.0)}
    planted: dict[str, str] = {}
    with duckdb.connect(str(path)) as con:
        con.execute("create table customer_rfm (customer_id varchar, segment_name varchar, recency_days integer,"
                    " frequency integer, monetary decimal(18, 2))")
        con.execute("create table rfm_segment_summary as select * from (values ('Recent small', 1),"
                    " ('Loyal big', 2), ('Gone', 3)) as t (segment_name, display_order)")
        ids = iter(rnd.sample(range(10000), 60 * len(groups)))  # groups mixed in id order: a shifted label shows
        for name, (recency, frequency, monetary) in groups.items():
            for _ in range(60):
                customer = f"C{next(ids):04d}"
                planted[customer] = name
                con.execute("insert into customer_rfm values (?, ?, ?, ?, ?)",
                            [customer, name, recency + rnd.randint(-3, 3), frequency,
                             round(monetary * (1 + rnd.uniform(-0.05, 0.05)), 2)])
    return planted


def test_planted_groups_are_found(tmp_path: Path) -> None:
    """On three planted, well separated groups, k = 3 finds exactly them: the ARI is 1, one cluster per group."""
    planted = planted_marts(tmp_path / "planted.duckdb", random.Random(7))
    proc = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "kmeans_segments.py"), "--database",
         str(tmp_path / "planted.duckdb"), "--schema", "main", "--k", "3", "--out-dir", str(tmp_path / "out")],
        cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["k"] == 3 and summary["adjusted_rand_index"] == 1.0, summary
    with (tmp_path / "out" / "segments_vs_clusters.csv").open(encoding="utf-8") as fh:
        rows = {row["segment"]: row for row in csv.DictReader(fh)}
    assert {name: int(row["total"]) for name, row in rows.items()} == {name: 60 for name in set(planted.values())}
    # each group sits whole in one cluster of its own
    clusters = [key for key in next(iter(rows.values())) if key.startswith("cluster_")]
    assert sorted(sorted(int(row[c]) for c in clusters) for row in rows.values()) == [[0, 0, 60]] * 3


def test_outputs_exist_and_ari_is_a_valid_index(run: tuple[Path, str]) -> None:
    out, stdout = run
    assert [name for name in OUTPUTS if not (out / name).is_file() or (out / name).stat().st_size == 0] == []
    assert (out / "k_selection.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert -1.0 <= summary["adjusted_rand_index"] <= 1.0
    assert 3 <= summary["k"] <= 7 and [t["k"] for t in summary["trials"]] == [3, 4, 5, 6, 7]
    assert summary["k"] == max(summary["trials"], key=lambda t: t["silhouette"])["k"]
    assert f"adjusted Rand index vs the RFM segments: {summary['adjusted_rand_index']:.4f}" in stdout


def test_crosstab_covers_every_customer_and_segment(demo_build: Workspace, run: tuple[Path, str]) -> None:
    out, _ = run
    with (out / "segments_vs_clusters.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected = dict(demo_build.query("select segment_name, customers from rfm_segment_summary"))
    assert {row["segment"]: int(row["total"]) for row in rows} == expected  # all 11, empty ones included
    clusters = [key for key in rows[0] if key.startswith("cluster_")]
    assert all(sum(int(row[c]) for c in clusters) == int(row["total"]) for row in rows)
    scored = demo_build.query("select count(*) from customer_rfm")[0][0]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["customers"] == scored


def test_same_seed_same_clusters(demo_build: Workspace, run: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = run
    run_kmeans(demo_build, tmp_path)
    for name in ("customers.csv", "segments_vs_clusters.csv", "summary.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
