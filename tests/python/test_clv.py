"""Predicted customer lifetime value (docs/retention.md): the fit recovers known parameters from simulated
customers, and the SQL scoring equals an independent implementation of the same formulas (scipy's hyp2f1) to
1e-6 for every customer: on the demo build with the shipped parameters, and with other parameters, time unit,
horizon and discount rate. test_cross_engine.py runs the same comparison on PostgreSQL and Spark."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
from conftest import PROJECT_DIR, Workspace
from scipy.special import hyp2f1  # requirements-clv.txt

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import fit_clv  # noqa: E402
import simulate_clv  # noqa: E402

DAYS_PER_MONTH = 365.25 / 12
TOLERANCE = 1e-6
# Parameter recovery: 4000 simulated customers, each parameter within this share of its true value.
RECOVERY_TOLERANCE = 0.15
PREDICTED = ("probability_alive", "expected_purchases", "expected_order_value", "predicted_clv")
SUMMARY = ("repeat_purchase_days", "repeat_span_days", "tenure_days", "avg_repeat_day_value")


def prediction_rows(predicted: Iterable[dict], summaries: Iterable[dict]) -> list[tuple]:
    """(customer_id, the unrounded predictions, the summary) per customer, from the rows of
    int_customers_clv_predicted and customer_clv."""
    by_customer = {row["customer_id"]: row for row in summaries}
    return [(row["customer_id"], *(row[c] for c in PREDICTED), *(by_customer[row["customer_id"]][c] for c in SUMMARY))
            for row in predicted]


def read_predictions(ws: Workspace) -> list[tuple]:
    return prediction_rows(ws.query_dicts("select * from int_customers_clv_predicted"),
                           ws.query_dicts("select * from customer_clv"))


def expected_predictions(params: dict, x: int, span_days: int, tenure_days: int, mean_value: float | None,
                         horizon_months: int = 12, discount_rate: float = 0.1) -> tuple[float, float, float, float]:
    """(probability alive, expected purchases over the horizon, expected order value, predicted CLV) of one
    customer: Fader, Hardie and Lee (2005) eq. 10 and the Gamma-Gamma mean, with scipy's hyp2f1."""
    r, alpha, a, b = (float(params[f"bgnbd_{n}"]) for n in ("r", "alpha", "a", "b"))
    p, q, v = (float(params[f"gamma_gamma_{n}"]) for n in ("p", "q", "v"))
    unit = 7.0 if params["time_unit"] == "weeks" else 1.0
    t_x, age = span_days / unit, tenure_days / unit
    odds = a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0

    def purchases(t: float) -> float:
        if t == 0:
            return 0.0
        z = t / (alpha + age + t)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
        return (a + b + x - 1) / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp) / (1 + odds)

    order_value = p * (v + x * (mean_value or 0.0)) / (p * x + q - 1)
    ends = [purchases(month * DAYS_PER_MONTH / unit) for month in range(horizon_months + 1)]
    clv = sum((ends[m] - ends[m - 1]) * order_value / (1 + discount_rate) ** (m / 12)
              for m in range(1, horizon_months + 1))
    return 1 / (1 + odds), ends[-1], order_value, clv


def assert_predictions_match(rows: Iterable[tuple], params: dict, **horizon: float) -> int:
    """SQL predictions (prediction_rows) equal expected_predictions to 1e-6 (CLV: 1e-6 relative); returns
    the number of customers compared."""
    compared, problems = 0, []
    for customer_id, *sql, x, span, tenure, mean_value in rows:
        python = expected_predictions(params, int(x), int(span), int(tenure),
                                      None if mean_value is None else float(mean_value), **horizon)
        scale = (1, 1, max(1, abs(python[2])), max(1, abs(python[3])))
        if any(abs(float(s) - e) > TOLERANCE * k for s, e, k in zip(sql, python, scale)):
            problems.append(f"{customer_id}: sql {sql}, python {python}")
        compared += 1
    assert compared and not problems, f"{len(problems)} of {compared} customers differ, e.g. {problems[:3]}"
    return compared


# Parameters in days with real dropout: on the demo, P(alive) spreads over 0..1 (the shipped ones, fitted on
# a demo whose customers never drop out, keep it near 1).
DROPOUT_PARAMETERS = {"bgnbd_r": "0.8", "bgnbd_alpha": "84", "bgnbd_a": "1.5", "bgnbd_b": "4", "gamma_gamma_p": "6",
                      "gamma_gamma_q": "4", "gamma_gamma_v": "15", "time_unit": "days"}


def assert_dropout_spread(rows: list[tuple]) -> None:
    """The comparison covers the whole range of P(alive) (customers without a repeat purchase are alive for
    sure): some nearly gone, many in between."""
    alive = [float(row[1]) for row in rows]
    assert min(alive) < 0.05 and sum(1 for p in alive if 0.2 < p < 0.95) > 100, sorted(alive)[::100]


def seed_parameters(path: Path = PROJECT_DIR / "seeds" / "clv_parameters.csv") -> dict:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.DictReader(fh))


def test_parameter_recovery() -> None:
    """Customers simulated from known parameters (continuous time, ages up to 2.5 years in weeks) give them
    back within RECOVERY_TOLERANCE."""
    truth = simulate_clv.Parameters()
    rng = random.Random(3)
    ages = [rng.uniform(4, 130) for _ in range(4000)]
    summaries = []
    for age, times in zip(ages, simulate_clv.simulate_times(truth, ages, rng)):
        x = len(times) - 1
        values = simulate_clv.simulate_values(truth, x, rng)
        summaries.append(fit_clv.Summary(x, times[-1], age, sum(values) / x if x else None))
    fitted = fit_clv.fit(summaries)
    pairs = {"r": fitted.bgnbd_r, "alpha": fitted.bgnbd_alpha, "a": fitted.bgnbd_a, "b": fitted.bgnbd_b,
             "p": fitted.gamma_gamma_p, "q": fitted.gamma_gamma_q, "v": fitted.gamma_gamma_v}
    off = {name: value for name, value in pairs.items()
           if abs(value - getattr(truth, name)) > RECOVERY_TOLERANCE * getattr(truth, name)}
    assert not off, f"fitted {pairs}, true {truth}"


def test_sql_matches_scipy_on_demo(demo_build: Workspace) -> None:
    """The shipped parameters (fitted on the demo), default horizon and discount rate; the mart rounds."""
    params = seed_parameters()
    assert assert_predictions_match(read_predictions(demo_build), params) == 1599
    rounded = demo_build.query(
        "select count(*) from customer_clv as clv inner join int_customers_clv_predicted as predicted"
        " on clv.customer_id = predicted.customer_id"
        " where abs(clv.probability_alive - predicted.probability_alive) > 5e-9"
        " or abs(clv.predicted_clv - predicted.predicted_clv) > 0.005")
    assert rounded == [(0,)]
    # per segment: the mean probability alive and the total predicted CLV of its customers
    per_segment: dict[str, list[tuple]] = {}
    for segment, *summary in demo_build.query("select segment_code, " + ", ".join(SUMMARY) + " from customer_clv"):
        per_segment.setdefault(segment, []).append(expected_predictions(params, *summary[:3], summary[3] and float(summary[3])))
    summary_rows = demo_build.query("select segment_code, avg_probability_alive, predicted_clv from rfm_segment_summary"
                                    " where customers > 0")
    assert {code for code, *_ in summary_rows} == per_segment.keys()
    for code, alive, clv in summary_rows:
        values = per_segment[code]
        assert abs(float(alive) - sum(v[0] for v in values) / len(values)) <= 0.00005 + TOLERANCE, code
        assert abs(float(clv) - sum(v[3] for v in values)) <= 0.005 + TOLERANCE * len(values), code


def test_sql_matches_scipy_with_other_parameters(demo_build: Workspace, tmp_path: Path) -> None:
    """Parameters in days with real dropout (P(alive) spread over 0..1), a 24-month horizon at 5 %, and a
    calibration end long before as_of_date: the staleness test warns and names the dates."""
    ws = demo_build.clone(tmp_path / "ws")
    params = DROPOUT_PARAMETERS
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update clv_parameters set " + ", ".join(f"{k} = '{v}'" for k, v in params.items())
                    + ", calibration_end_date = date '2026-01-01'")
    clv_vars = {"rfm_clv_horizon_months": 24, "rfm_clv_discount_rate": "0.05", "rfm_clv_max_parameter_age_days": 30}
    proc = ws.dbt("build", "--select", "int_customers_clv_predicted", "customer_clv", "test_name:clv_parameters_fresh",
                  vars=clv_vars)
    assert ("the CLV parameters were fitted on data up to 2026-01-01 (181 days before as_of_date 2026-07-01, more"
            " than var rfm_clv_max_parameter_age_days = 30)") in proc.stdout
    rows = read_predictions(ws)
    assert assert_predictions_match(rows, params, horizon_months=24, discount_rate=0.05) == 1599
    assert_dropout_spread(rows)


def test_fit_clv_cli(demo_build: Workspace, tmp_path: Path) -> None:
    """fit_clv.py reads the marts, writes the seed row and prints it; a calibration end the marts were not
    built on is one line and exit 2."""
    script = [sys.executable, str(PROJECT_DIR / "scripts" / "fit_clv.py"), "--database", str(demo_build.published_path)]
    seed = tmp_path / "clv_parameters.csv"
    proc = subprocess.run([*script, "--calibration-end", "2026-07-01", "--time-unit", "weeks", "--seed-file", str(seed),
                           "--fitted-on", "2026-11-30", "--json"], capture_output=True, text=True, check=True)
    printed = json.loads(proc.stdout)
    assert seed_parameters(seed) == {k: str(v) for k, v in printed.items()}
    assert printed["customers"] == 1599 and printed["calibration_end_date"] == "2026-07-01"
    # the shipped seed is this fit (refit after a demo change)
    shipped = seed_parameters()
    for name, value in printed.items():
        if isinstance(value, str) and name not in ("time_unit", "calibration_end_date", "fitted_on_date"):
            assert abs(float(shipped[name]) - float(value)) <= 1e-6 * abs(float(value)), name
        else:
            assert shipped[name] == str(value), name
    wrong = subprocess.run([*script, "--calibration-end", "2026-06-01"], capture_output=True, text=True)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr
    assert "scored on 2026-07-01, not on --calibration-end 2026-06-01" in wrong.stderr
    assert date.fromisoformat(printed["fitted_on_date"]) == date(2026, 11, 30)
