"""The semantic layer answers on DuckDB: `mf query` agrees with the marts for every metric (needs
requirements-metricflow.txt): the customer metrics by customer__segment against customer_rfm and customer_clv,
the retention metrics by segment against rfm_segment_retention.

MetricFlow reads target/semantic_manifest.json under the project it runs in, so the query runs in a copy
of the project whose target/ is its own. Every metric of the manifest is queried per segment and compared
with the same figure computed in plain SQL on customer_rfm; a metric added without its SQL here fails.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
from pathlib import Path

import pytest
from conftest import BIN_DIR, Workspace, copy_project

MF = BIN_DIR / "mf"
pytestmark = pytest.mark.skipif(not MF.exists(), reason="MetricFlow CLI not installed (requirements-metricflow.txt)")

CHURNED = "(segment_code in ('lost', 'hibernating', 'at_risk', 'cannot_lose') or recency_days > 365)"
# metric -> its figure per segment, in SQL on the mart (docs/consuming.md's definitions)
METRIC_SQL = {
    "customers": "count(*)",
    "revenue": "sum(monetary)",
    "orders": "sum(frequency)",
    "average_order_value": "sum(monetary) / sum(frequency)",
    "revenue_per_customer": "sum(monetary) / count(*)",
    "repeat_customers": "count(*) filter (where frequency > 1)",
    "repeat_rate": "count(*) filter (where frequency > 1) / count(*)",
    "revenue_share": "sum(monetary) / (select sum(monetary) from main.customer_rfm)",
    "churned_customers": f"count(*) filter (where {CHURNED})",
    "churn_rate": f"count(*) filter (where {CHURNED}) / count(*)",
    "tenure_months": "sum(tenure_months)",
    "revenue_per_tenure_month": "sum(monetary) / sum(tenure_months)",
    "valued_customers": "count(*)",
    "expected_active_customers": "sum(probability_alive)",
    "average_probability_alive": "avg(probability_alive)",
    "expected_purchases": "sum(expected_purchases)",
    "predicted_clv": "sum(predicted_clv)",
    "predicted_clv_per_customer": "avg(predicted_clv)",
}
# customer_rfm with the customer_clv columns the value metrics read (docs/retention.md)
CUSTOMERS_SQL = ("(select scored.*, clv.tenure_months, clv.probability_alive, clv.expected_purchases, clv.predicted_clv"
                 " from main.customer_rfm as scored inner join main.customer_clv as clv"
                 " on scored.customer_id = clv.customer_id) as customers")
# metric -> its figure per segment on rfm_segment_retention, queried by the segment entity
RETENTION_METRIC_SQL = {
    "retention_members": "sum(customers)",
    "retained_customers": "sum(retained_customers)",
    "retention_rate": "sum(retained_customers) / nullif(sum(customers), 0)",
    "retained_revenue": "sum(retained_revenue)",
}


def run(cmd: list[str], cwd: Path, ws: Workspace) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=ws.env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def number(text: str | None) -> float:
    """A figure of the CSV; MetricFlow leaves a count with no matching row empty, SQL says 0."""
    return float(text) if text not in (None, "") else 0.0


def test_every_metric_matches_marts(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    project = copy_project(tmp_path / "project")
    run([str(BIN_DIR / "dbt"), "parse", "--vars", '{"rfm_today": "2026-11-25"}'], project, ws)
    manifest = json.loads((project / "target" / "semantic_manifest.json").read_text(encoding="utf-8"))
    metrics = sorted(metric["name"] for metric in manifest["metrics"])
    assert metrics == sorted({**METRIC_SQL, **RETENTION_METRIC_SQL}), "each metric needs its SQL in METRIC_SQL"
    for group_by, metric_sql, source in (("customer__segment", METRIC_SQL, CUSTOMERS_SQL),
                                         ("segment", RETENTION_METRIC_SQL, "main.rfm_segment_retention")):
        compare(ws, project, tmp_path, group_by, metric_sql, source)


def compare(ws: Workspace, project: Path, tmp_path: Path, group_by: str, metric_sql: dict[str, str], source: str) -> None:
    """`mf query` of the metrics grouped by `group_by` equals their SQL on `source` per segment."""
    metrics = sorted(metric_sql)
    out = tmp_path / f"by_{group_by}.csv"
    run([str(MF), "query", "--metrics", ",".join(metrics), "--group-by", group_by, "--csv", str(out)],
        project, ws)
    with out.open(newline="", encoding="utf-8") as fh:
        answered = {row[group_by]: {m: number(row[m]) for m in metrics} for row in csv.DictReader(fh)}
    columns = ", ".join(f"cast({sql} as double) as {metric}" for metric, sql in metric_sql.items())
    expected = {row.pop("segment_code"): {m: number(str(v)) if v is not None else 0.0 for m, v in row.items()}
                for row in ws.query_dicts(f"select segment_code, {columns} from {source} group by 1")}
    assert answered.keys() == expected.keys()
    differing = {(segment, metric): (answered[segment][metric], value)
                 for segment, figures in expected.items() for metric, value in figures.items()
                 if not math.isclose(answered[segment][metric], value, rel_tol=1e-9, abs_tol=1e-9)}
    assert not differing, f"mf query vs SQL on {source}: {differing}"
    assert {m for figures in expected.values() for m, v in figures.items() if v} == set(metrics), (
        "a metric is 0 in every segment: the comparison would not test it")
