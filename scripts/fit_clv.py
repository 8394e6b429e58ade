#!/usr/bin/env python3
"""Fit the buy-till-you-die models of the predicted customer lifetime value (docs/retention.md) by maximum
likelihood, and write their parameters to seeds/clv_parameters.csv for the SQL scoring of `dbt build`.

BG/NBD (Fader, Hardie and Lee 2005) on every scored customer's frequency x (repeat purchase days), recency
t_x (first to last purchase) and T (first purchase to the end of the calibration period); Gamma-Gamma (Fader
and Hardie 2013) on the repeat customers' mean repeat-day value. The summary is read from the marts
(customer_clv) of any target: the calibration period ends at their as_of_date, which --calibration-end must
name (build with `--vars "{as_of_date: 'YYYY-MM-DD'}"` to calibrate on an earlier end). Needs scipy:
`pip install -r requirements-clv.txt`.

    python scripts/fit_clv.py --calibration-end 2026-07-01 --time-unit weeks [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import PROJECT_ROOT, UserError  # noqa: E402
from rfm_cli.marts import open_marts, target_of  # noqa: E402

# scipy is optional: --help and option errors work without it, a run says what is missing.
MISSING_LIBRARY: str | None = None
try:
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln
except ImportError as exc:
    MISSING_LIBRARY = exc.name

DAYS_PER_UNIT = {"days": 1, "weeks": 7}
SEED_COLUMNS = ("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gamma_gamma_p", "gamma_gamma_q", "gamma_gamma_v",
                "time_unit", "calibration_end_date", "fitted_on_date", "customers", "repeat_customers",
                "bgnbd_log_likelihood", "gamma_gamma_log_likelihood")
# The search space: a and q above 1.01 (at 1 expected purchases and order values are infinite, and near it the
# closed forms lose their precision), and every
# parameter within a range where the log-gamma differences of the likelihoods keep their precision.
BGNBD_BOUNDS = ((1e-4, 1e4), (1e-4, 1e6), (1.01, 1e4), (1e-4, 1e4))
GAMMA_GAMMA_BOUNDS = ((1e-3, 1e4), (1.01, 1e4), (1e-3, 1e8))


@dataclass(frozen=True)
class Summary:
    """One customer: repeat purchase days x, recency t_x and age T (in the time unit), mean repeat-day value."""

    x: int
    t_x: float
    age: float
    mean_value: float | None


@dataclass(frozen=True)
class Fit:
    bgnbd_r: float
    bgnbd_alpha: float
    bgnbd_a: float
    bgnbd_b: float
    gamma_gamma_p: float
    gamma_gamma_q: float
    gamma_gamma_v: float
    bgnbd_log_likelihood: float
    gamma_gamma_log_likelihood: float


def bgnbd_log_likelihood(params: Sequence[float], x: Any, t_x: Any, age: Any, weights: Any) -> float:
    """Sum of the BG/NBD log-likelihoods (Fader, Hardie and Lee 2005, eq. 6), customers weighted by count."""
    r, alpha, a, b = params
    head = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + age)
    # the customer dropped out right after the last purchase: only with a repeat purchase
    dropped = np.where(x > 0, betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b)
                       - (r + x) * np.log(alpha + t_x), -np.inf)
    return float(np.sum(weights * (head + np.logaddexp(alive, dropped))))


def gamma_gamma_log_likelihood(params: Sequence[float], x: Any, mean_value: Any, weights: Any) -> float:
    """Sum of the Gamma-Gamma log-likelihoods of the mean value of x repeat transactions (Fader and Hardie 2013)."""
    p, q, v = params
    px = p * x
    return float(np.sum(weights * (gammaln(px + q) - gammaln(px) - gammaln(q) + q * math.log(v)
                                   + (px - 1) * np.log(mean_value) + px * np.log(x) - (px + q) * np.log(x * mean_value + v))))


def maximise(log_likelihood: Any, start: Sequence[float], bounds: Sequence[tuple[float, float]],
             *data: Any) -> tuple[list[float], float]:
    """Parameters within bounds (optimised on their logarithm) maximising log_likelihood, and its maximum."""
    def objective(log_params: Any) -> float:
        value = log_likelihood(np.exp(log_params), *data)
        return -value if math.isfinite(value) else 1e300

    log_bounds = [(math.log(low), math.log(high)) for low, high in bounds]
    result = minimize(objective, np.log(start), method="Nelder-Mead", bounds=log_bounds,
                      options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20000, "maxfev": 40000})
    result = minimize(objective, result.x, method="L-BFGS-B", bounds=log_bounds)
    return [float(v) for v in np.exp(result.x)], -float(result.fun)


def at_bounds(names: Sequence[str], values: Sequence[float], bounds: Sequence[tuple[float, float]]) -> list[str]:
    return [f"{name} = {value:.6g}" for name, value, (low, high) in zip(names, values, bounds)
            if not low * 1.001 < value < high / 1.001]


def fit(summaries: Sequence[Summary]) -> Fit:
    """Maximum-likelihood BG/NBD on every customer and Gamma-Gamma on the repeat customers, within BOUNDS."""
    # sorted: floating-point sums, and so the optimum's last digits, depend on the order of the customers
    summaries = sorted(summaries, key=lambda s: (s.x, s.t_x, s.age, s.mean_value or 0.0))
    counts = Counter((s.x, s.t_x, s.age) for s in summaries)  # identical customers, one term each
    x, t_x, age = (np.array(values, dtype=float) for values in zip(*counts))
    weights = np.array(list(counts.values()), dtype=float)
    bgnbd, bgnbd_ll = maximise(bgnbd_log_likelihood, (1.0, float(np.mean(age)), 2.0, 2.0), BGNBD_BOUNDS,
                               x, t_x, age, weights)
    rfm_cli.progress("BG/NBD: " + ", ".join(f"{n} {v:.4f}" for n, v in zip(("r", "alpha", "a", "b"), bgnbd))
                     + f", log-likelihood {bgnbd_ll:.2f}")
    repeat = [s for s in summaries if s.x > 0 and s.mean_value]
    if len(repeat) < 2:
        raise UserError(f"{len(repeat)} repeat customers: too few to fit the Gamma-Gamma model")
    values = np.array([s.mean_value for s in repeat], dtype=float)
    gamma_gamma, gg_ll = maximise(gamma_gamma_log_likelihood, (1.0, 2.0, float(np.mean(values))), GAMMA_GAMMA_BOUNDS,
                                  np.array([s.x for s in repeat], dtype=float), values, np.ones(len(repeat)))
    rfm_cli.progress("Gamma-Gamma: " + ", ".join(f"{n} {v:.4f}" for n, v in zip(("p", "q", "v"), gamma_gamma))
                     + f", log-likelihood {gg_ll:.2f}")
    bound = at_bounds(("r", "alpha", "a", "b"), bgnbd, BGNBD_BOUNDS) + at_bounds(
        ("p", "q", "v"), gamma_gamma, GAMMA_GAMMA_BOUNDS)
    if bound:
        rfm_cli.progress(f"at a bound (the data fit the model poorly there; see docs/retention.md): {', '.join(bound)}")
    return Fit(*bgnbd, *gamma_gamma, bgnbd_ll, gg_ll)


def load(target: dict[str, Any], calibration_end: date, unit_days: int) -> list[Summary]:
    with open_marts(target, ("customer_clv",)) as marts:
        rows = marts.rows("select as_of_date, repeat_purchase_days, repeat_span_days, tenure_days,"
                          " avg_repeat_day_value from customer_clv")
    if not rows:
        raise UserError("customer_clv is empty: nobody is scored, there is nothing to fit")
    as_of_dates = {row["as_of_date"] for row in rows}
    if as_of_dates != {calibration_end}:
        built = ", ".join(str(d) for d in sorted(as_of_dates))
        raise UserError(f"the marts are scored on {built}, not on --calibration-end {calibration_end}: build with "
                        f"--vars \"{{as_of_date: '{calibration_end}'}}\" to calibrate on it")
    return [Summary(int(row["repeat_purchase_days"]), row["repeat_span_days"] / unit_days,
                    row["tenure_days"] / unit_days,
                    float(row["avg_repeat_day_value"]) if row["avg_repeat_day_value"] is not None else None)
            for row in rows]


def seed_row(result: Fit, summaries: Sequence[Summary], time_unit: str, calibration_end: date,
             fitted_on: date) -> dict[str, Any]:
    row = {**asdict(result), "time_unit": time_unit, "calibration_end_date": calibration_end.isoformat(),
           "fitted_on_date": fitted_on.isoformat(), "customers": len(summaries),
           "repeat_customers": sum(1 for s in summaries if s.x > 0)}
    return {column: (f"{row[column]:.12g}" if isinstance(row[column], float) else row[column]) for column in SEED_COLUMNS}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(description=__doc__.split("\n\n")[0],
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibration-end", type=rfm_cli.iso_date, required=True,
                        help="end of the calibration period, YYYY-MM-DD: the as_of_date the marts were built with")
    parser.add_argument("--time-unit", choices=sorted(DAYS_PER_UNIT), default="weeks",
                        help="time unit of recency, T and the parameter alpha (default weeks)")
    parser.add_argument("--seed-file", type=Path, default=PROJECT_ROOT / "seeds" / "clv_parameters.csv",
                        help="seed to write (default seeds/clv_parameters.csv)")
    parser.add_argument("--fitted-on", type=rfm_cli.iso_date, default=date.today(),
                        help="date recorded as the fit's date (default today)")
    parser.add_argument("--json", action="store_true", help="also print the parameters as JSON on stdout")
    rfm_cli.add_marts_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if MISSING_LIBRARY:
        raise UserError(f"{MISSING_LIBRARY} is not installed: pip install -r requirements-clv.txt")
    summaries = load(target_of(args), args.calibration_end, DAYS_PER_UNIT[args.time_unit])
    rfm_cli.progress(f"loaded {len(summaries):,} customers ({sum(1 for s in summaries if s.x > 0):,} repeat)")
    row = seed_row(fit(summaries), summaries, args.time_unit, args.calibration_end, args.fitted_on)
    with args.seed_file.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=SEED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
    rfm_cli.progress(f"wrote {args.seed_file}; run `dbt build` to score the customers with it")
    if args.json:
        print(json.dumps(row, indent=2))
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
