"""scripts/kmeans_segments.py on the demo: outputs exist, add up, and the run is reproducible.

Skipped when scikit-learn is not installed (pip install -r requirements-analysis.txt).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

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
