#!/usr/bin/env python3
"""The holdout check of the predicted CLV (docs/clv_holdout.md), in the style of the BTYD literature: fit on a
calibration period, predict the purchases of the holdout period, compare with what the customers did, by
calibration frequency.

Customers are simulated from known parameters (scripts/simulate_clv.py) up to --end; the project is built on
them with as_of_date = --calibration-end and a horizon of --holdout-months, the models are fitted
(scripts/fit_clv.py's functions) on that build and the customers scored again with the fit. Actual holdout
purchase days come from the simulated orders. Writes the comparison as a PNG plot and a JSON table; prints
the table in Markdown. Needs requirements-clv.txt and matplotlib (requirements-analysis.txt).

    python scripts/clv_holdout.py --out docs/clv_holdout.png
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit_clv  # noqa: E402
import rfm_cli  # noqa: E402
import simulate_clv  # noqa: E402
from rfm_cli import PROJECT_ROOT, UserError  # noqa: E402
from rfm_cli.workspace import BIN_DIR, Workspace  # noqa: E402

BUCKETS = 7  # calibration frequencies 0..6, and 7 or more


def run(ws: Workspace, *command: str) -> None:
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env=ws.env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"{' '.join(command[:3])} failed: {(proc.stdout + proc.stderr)[-800:]}")


def dbt(ws: Workspace, *args: str, build_vars: dict[str, str | int]) -> None:
    run(ws, str(BIN_DIR / "dbt"), *args, "--project-dir", str(PROJECT_ROOT), "--target-path", str(ws.root / "target"),
        "--log-path", str(ws.root / "logs"), "--vars", json.dumps(build_vars))


def holdout_days(orders_csv: Path, calibration_end: date) -> dict[str, int]:
    """Per customer, the distinct days with an order on or after the calibration end."""
    days: dict[str, set[str]] = defaultdict(set)
    with orders_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if date.fromisoformat(row["ordered_at"]) >= calibration_end:
                days[row["customer_id"]].add(row["ordered_at"])
    return {customer: len(seen) for customer, seen in days.items()}


def compare(args: argparse.Namespace, work: Path) -> list[dict[str, float]]:
    simulate_clv.write(work / "data", simulate_clv.Parameters(), args.customers, args.start, args.end, 7, args.seed)
    ws = Workspace(work / "ws")
    run(ws, sys.executable, str(PROJECT_ROOT / "scripts" / "load_raw.py"), "--orders", str(work / "data" / "orders.csv"),
        "--customers", str(work / "data" / "customers.csv"))
    build_vars = {"as_of_date": args.calibration_end.isoformat(), "rfm_today": args.end.isoformat(),
                  "rfm_clv_horizon_months": args.holdout_months, "rfm_clv_discount_rate": "0"}
    dbt(ws, "build", build_vars=build_vars)
    rfm_cli.progress("built the calibration period")

    import duckdb

    with duckdb.connect(str(ws.db_path)) as con:
        rows = con.execute("select repeat_purchase_days, repeat_span_days, tenure_days, avg_repeat_day_value"
                           " from customer_clv").fetchall()
    summaries = [fit_clv.Summary(int(x), span / 7, tenure / 7, float(value) if value is not None else None)
                 for x, span, tenure, value in rows]
    fitted = fit_clv.fit(summaries)
    with duckdb.connect(str(ws.db_path)) as con:
        con.execute("update clv_parameters set bgnbd_r = ?, bgnbd_alpha = ?, bgnbd_a = ?, bgnbd_b = ?,"
                    " time_unit = 'weeks', calibration_end_date = ?",
                    [fitted.bgnbd_r, fitted.bgnbd_alpha, fitted.bgnbd_a, fitted.bgnbd_b, args.calibration_end])
    dbt(ws, "run", "--select", "int_customers_clv_predicted", "customer_clv", build_vars=build_vars)
    with duckdb.connect(str(ws.db_path)) as con:
        scored = con.execute("select customer_id, repeat_purchase_days, expected_purchases from customer_clv").fetchall()
    rfm_cli.progress(f"scored {len(scored):,} customers with the fit")

    actual = holdout_days(work / "data" / "orders.csv", args.calibration_end)
    buckets: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for customer, x, expected in scored:
        buckets[min(int(x), BUCKETS)].append((float(expected), actual.get(customer, 0)))
    return [{"frequency": f"{k}+" if k == BUCKETS else str(k), "customers": len(pairs),
             "predicted": sum(p for p, _ in pairs) / len(pairs), "actual": sum(a for _, a in pairs) / len(pairs)}
            for k, pairs in sorted(buckets.items())]


def plot(table: list[dict[str, float]], out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positions = range(len(table))
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    ax.bar([p - 0.2 for p in positions], [row["actual"] for row in table], width=0.4, label="actual", color="#9aa5b1")
    ax.bar([p + 0.2 for p in positions], [row["predicted"] for row in table], width=0.4, label="predicted (SQL)",
           color="#084594")
    ax.set_xticks(list(positions), [row["frequency"] for row in table])
    ax.set_xlabel("repeat purchase days in the calibration period")
    ax.set_ylabel("mean purchase days in the holdout period")
    ax.set_title(title, fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=3000, help="simulated customers (default 3000)")
    parser.add_argument("--start", type=rfm_cli.iso_date, default=date(2024, 1, 1), help="first acquisition day")
    parser.add_argument("--calibration-end", type=rfm_cli.iso_date, default=date(2026, 1, 1),
                        help="end of the calibration period (default 2026-01-01)")
    parser.add_argument("--end", type=rfm_cli.iso_date, default=date(2026, 7, 1),
                        help="end of the holdout period, exclusive (default 2026-07-01)")
    parser.add_argument("--holdout-months", type=int, default=6, help="horizon of the predictions (default 6)")
    parser.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write; the table goes beside it as .json")
    args = parser.parse_args(argv)
    if not args.start < args.calibration_end < args.end:
        parser.error("--start, --calibration-end and --end must be in that order")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rfm-holdout-") as work:
        table = compare(args, Path(work))
    plot(table, rfm_cli.writable_file(args.out),
         f"{args.customers:,} simulated customers: calibration to {args.calibration_end}, holdout to {args.end}")
    args.out.with_suffix(".json").write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    print("| repeat days (calibration) | customers | actual (holdout) | predicted |\n|---|---|---|---|")
    for row in table:
        print(f"| {row['frequency']} | {row['customers']:,} | {row['actual']:.3f} | {row['predicted']:.3f} |")
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
