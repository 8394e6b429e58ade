"""The semantic layer answers on DuckDB: `mf query` agrees with the marts for every metric (needs
requirements-metricflow.txt): the customer metrics per segment against customer_rfm, the campaign flow
metrics per flow against campaign_flow_entrants, and the flows' uplift against campaign_flow_results. The value metrics
per segment against customer_rfm and customer_clv, the retention metrics per segment against rfm_segment_retention.

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
from conftest import BIN_DIR, Workspace, copy_project, parse_for_mf

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
TREATED, HOLDOUT = "nullif(count(*) filter (where not is_holdout), 0)", "nullif(count(*) filter (where is_holdout), 0)"
# flow metric -> its figure per flow, in SQL on campaign_flow_entrants' measured entrants (docs/campaigns.md)
FLOW_METRIC_SQL = {
    "flow_entrants": "count(*)",
    "flow_conversions": "count(*) filter (where is_converted)",
    "flow_conversion_rate": "count(*) filter (where is_converted) / count(*)",
    "flow_conversion_revenue_measured": "sum(conversion_revenue)",
    "flow_revenue_per_entrant": "sum(conversion_revenue) / count(*)",
    "treated_conversion_rate": f"count(*) filter (where is_converted and not is_holdout) / {TREATED}",
    "holdout_conversion_rate": f"count(*) filter (where is_converted and is_holdout) / {HOLDOUT}",
    "flow_conversion_uplift": f"count(*) filter (where is_converted and not is_holdout) / {TREATED}"
                              f" - count(*) filter (where is_converted and is_holdout) / {HOLDOUT}",
}


def run(cmd: list[str], cwd: Path, ws: Workspace) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=ws.env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def number(text: str | None) -> float:
    """A figure of the CSV; MetricFlow leaves a count with no matching row empty, SQL says 0."""
    return float(text) if text not in (None, "") else 0.0


def mf_query(project: Path, ws: Workspace, metrics: list[str], group_by: str, out: Path) -> dict[str, dict[str, float]]:
    run([str(MF), "query", "--metrics", ",".join(metrics), "--group-by", group_by, "--csv", str(out)], project, ws)
    with out.open(newline="", encoding="utf-8") as fh:
        return {row[group_by]: {m: number(row[m]) for m in metrics} for row in csv.DictReader(fh)}


def sql_figures(ws: Workspace, metric_sql: dict[str, str], key: str, source: str) -> dict[str, dict[str, float]]:
    columns = ", ".join(f"cast({sql} as double) as {metric}" for metric, sql in metric_sql.items())
    return {row.pop(key): {m: number(str(v)) if v is not None else 0.0 for m, v in row.items()}
            for row in ws.query_dicts(f"select {key}, {columns} from {source} group by 1")}


def assert_same_figures(answered: dict[str, dict[str, float]], expected: dict[str, dict[str, float]]) -> None:
    assert answered.keys() == expected.keys()
    differing = {(group, metric): (answered[group][metric], value)
                 for group, figures in expected.items() for metric, value in figures.items()
                 if not math.isclose(answered[group][metric], value, rel_tol=1e-9, abs_tol=1e-9)}
    assert not differing, f"mf query vs SQL on the marts: {differing}"
    metrics = {m for figures in expected.values() for m in figures}
    assert {m for figures in expected.values() for m, v in figures.items() if v} == metrics, (
        "a metric is 0 in every group: the comparison would not test it")


def test_every_metric_matches_marts(demo_build: Workspace, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path / "ws")
    project = copy_project(tmp_path / "project")
    parse_for_mf(ws, project, {"rfm_today": "2026-11-25"})
    manifest = json.loads((project / "target" / "semantic_manifest.json").read_text(encoding="utf-8"))
    metrics = sorted(metric["name"] for metric in manifest["metrics"])
    assert metrics == sorted(METRIC_SQL | FLOW_METRIC_SQL | RETENTION_METRIC_SQL), "each metric needs its SQL in METRIC_SQL or FLOW_METRIC_SQL"

    assert_same_figures(mf_query(project, ws, sorted(METRIC_SQL), "customer__segment", tmp_path / "by_segment.csv"),
                        sql_figures(ws, METRIC_SQL, "segment_code", CUSTOMERS_SQL))
    assert_same_figures(mf_query(project, ws, sorted(RETENTION_METRIC_SQL), "segment", tmp_path / "by_segment_retention.csv"),
                        sql_figures(ws, RETENTION_METRIC_SQL, "segment_code", "main.rfm_segment_retention"))
    by_flow = mf_query(project, ws, sorted(FLOW_METRIC_SQL), "flow_entrant__flow_code", tmp_path / "by_flow.csv")
    assert_same_figures(by_flow, sql_figures(ws, FLOW_METRIC_SQL, "flow_code",
                                             "main.campaign_flow_entrants where is_measured"))
    for flow_code, uplift in ws.query("select flow_code, absolute_uplift from main.campaign_flow_results"
                                      " where is_flow_total and absolute_uplift is not null"):
        assert abs(by_flow[flow_code]["flow_conversion_uplift"] - float(uplift)) <= 0.00005, flow_code
