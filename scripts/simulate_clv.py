#!/usr/bin/env python3
"""Simulate customers from known BG/NBD and Gamma-Gamma parameters (docs/retention.md): the ground truth of
the parameter-recovery test and of the holdout check.

Each customer is acquired with a first purchase on a day drawn uniformly from --start to the day before --end,
buys at Poisson rate lambda ~ Gamma(r, rate alpha) per time unit, and after each repeat purchase drops out with
probability p ~ Beta(a, b) (BG/NBD). Purchase values are Gamma(p_value, rate nu) with nu ~ Gamma(q, rate v)
(Gamma-Gamma). Writes orders.csv and customers.csv in the loader's format (scripts/load_raw.py); only
Python's standard library, so --seed alone fixes the output.

    python scripts/simulate_clv.py --customers 2000 --out data/clv_sim --start 2024-01-01 --end 2026-07-01
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402


@dataclass(frozen=True)
class Parameters:
    """BG/NBD (r, alpha in the time unit, a, b) and Gamma-Gamma (p, q, v) parameters."""

    r: float = 0.8
    alpha: float = 12.0
    a: float = 1.5
    b: float = 4.0
    p: float = 6.0
    q: float = 4.0
    v: float = 15.0


def simulate_times(params: Parameters, ages: Sequence[float], rng: random.Random) -> list[list[float]]:
    """Per customer of age T (time from the first purchase to the end of observation), its purchase times:
    0 for the first purchase, then each repeat purchase before T while the customer is alive."""
    customers = []
    for age in ages:
        rate = rng.gammavariate(params.r, 1 / params.alpha)
        dropout = rng.betavariate(params.a, params.b)
        times = [0.0]
        while True:
            following = times[-1] + rng.expovariate(rate)
            if following >= age:
                break
            times.append(following)
            if rng.random() < dropout:
                break
        customers.append(times)
    return customers


def simulate_values(params: Parameters, count: int, rng: random.Random) -> list[float]:
    """`count` purchase values of one customer (Gamma-Gamma): Gamma(p, rate nu), nu ~ Gamma(q, rate v)."""
    nu = rng.gammavariate(params.q, 1 / params.v)
    return [rng.gammavariate(params.p, 1 / nu) for _ in range(count)]


def write(out: Path, params: Parameters, customers: int, start: date, end: date, unit_days: int, seed: int) -> int:
    """orders.csv and customers.csv of `customers` simulated customers; returns the number of orders."""
    rng = random.Random(seed)
    days = (end - start).days
    firsts = [start + timedelta(days=rng.randrange(days)) for _ in range(customers)]
    histories = simulate_times(params, [(end - first).days / unit_days for first in firsts], rng)
    out.mkdir(parents=True, exist_ok=True)
    orders = 0
    with (out / "orders.csv").open("w", newline="", encoding="utf-8") as order_file, \
            (out / "customers.csv").open("w", newline="", encoding="utf-8") as customer_file:
        order_writer, customer_writer = csv.writer(order_file), csv.writer(customer_file)
        order_writer.writerow(("order_id", "customer_id", "ordered_at", "order_total", "status", "currency"))
        customer_writer.writerow(("customer_id", "email", "created_at", "accepts_marketing"))
        for number, (first, times) in enumerate(zip(firsts, histories), start=1):
            customer_id = f"sim-{number:06d}"
            customer_writer.writerow((customer_id, f"{customer_id}@example.com", first.isoformat(), "true"))
            for moment, value in zip(times, simulate_values(params, len(times), rng)):
                orders += 1
                ordered = first + timedelta(days=int(moment * unit_days))
                order_writer.writerow((f"o-{orders:08d}", customer_id, ordered.isoformat(), f"{max(value, 0.01):.2f}",
                                       "completed", "EUR"))
    return orders


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = Parameters()
    parser.add_argument("--customers", type=int, default=2000, help="customers to simulate (default 2000)")
    parser.add_argument("--start", type=rfm_cli.iso_date, default=date(2024, 1, 1), help="first acquisition day")
    parser.add_argument("--end", type=rfm_cli.iso_date, default=date(2026, 7, 1),
                        help="end of the simulated period (exclusive): no purchase on or after it")
    parser.add_argument("--time-unit", choices=("days", "weeks"), default="weeks", help="unit of alpha (default weeks)")
    for name in ("r", "alpha", "a", "b", "p", "q", "v"):
        parser.add_argument(f"--{name}", type=float, default=getattr(defaults, name),
                            help=f"parameter {name} (default {getattr(defaults, name)})")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="folder for orders.csv and customers.csv")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.end <= args.start:
        parser.error("--customers must be positive and --end after --start")
    if min(getattr(args, name) for name in ("r", "alpha", "a", "b", "p", "q", "v")) <= 0:
        parser.error("every parameter must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params = Parameters(args.r, args.alpha, args.a, args.b, args.p, args.q, args.v)
    orders = write(args.out, params, args.customers, args.start, args.end, 7 if args.time_unit == "weeks" else 1,
                   args.seed)
    print(f"wrote {orders:,} orders of {args.customers:,} customers to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
