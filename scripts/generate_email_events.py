#!/usr/bin/env python3
"""Generate reproducible demo email events for the customers of a demo customers file.

Writes a CSV with the columns of the optional raw table `email_events` (customer_id, event_type,
occurred_at), to load with `scripts/load_raw.py --email-events FILE`. Each customer gets an activity level
(some never open anything, a few open and click a lot), events spread over the last --days days before
--end-date, and a few unsubscribes and bounces. Same seed and customers file, same bytes.
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import UserError  # noqa: E402


def generate(customer_ids: Sequence[str], seed: int, end_date: date, days: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    end = datetime(end_date.year, end_date.month, end_date.day, 23, 59, 59)
    rows: list[tuple[str, str, str]] = []
    for customer_id in customer_ids:
        level = rng.random()
        if level < 0.25:  # a quarter never interacts
            continue
        # Active customers stopped at some point: the last stretch of the window is quiet for some.
        quiet_days = rng.choice((0, 0, 0, 30, 120, 240))
        opens = int(level * 12)
        for _ in range(opens):
            at = end - timedelta(seconds=rng.randrange(quiet_days * 86400, days * 86400))
            rows.append((customer_id, "open", at.strftime("%Y-%m-%d %H:%M:%S")))
            if rng.random() < 0.3:
                rows.append((customer_id, "click", (at + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")))
        extra = rng.random()
        if extra < 0.05:
            at = end - timedelta(seconds=rng.randrange(0, days * 86400))
            rows.append((customer_id, "unsubscribe", at.strftime("%Y-%m-%d %H:%M:%S")))
        elif extra < 0.08:
            at = end - timedelta(seconds=rng.randrange(0, days * 86400))
            rows.append((customer_id, "bounce", at.strftime("%Y-%m-%d %H:%M:%S")))
    rows.sort(key=lambda row: (row[2], row[0], row[1]))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = rfm_cli.ArgumentParser(description="Generate demo email events for a customers CSV.")
    parser.add_argument("--customers", required=True, metavar="FILE", help="customers CSV (column customer_id)")
    parser.add_argument("--out", required=True, metavar="FILE", help="email events CSV to write")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same bytes (default 42)")
    parser.add_argument("--end-date", type=rfm_cli.iso_date, default=date(2026, 6, 30),
                        help="last event day, YYYY-MM-DD (default 2026-06-30, the demo's last order day)")
    parser.add_argument("--days", type=rfm_cli.bounded_int(1, 36_500), default=365, help="days of history before --end-date (default 365)")
    args = parser.parse_args(argv)
    try:
        with open(args.customers, newline="", encoding="utf-8") as fh:
            ids = [row["customer_id"] for row in csv.DictReader(fh) if (row.get("customer_id") or "").strip()]
    except (OSError, KeyError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"customers file {args.customers}: cannot read customer_id ({exc})") from None
    rows = generate(ids, args.seed, args.end_date, args.days)
    out = rfm_cli.writable_file(Path(args.out))
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("customer_id", "event_type", "occurred_at"))
        writer.writerows(rows)
    print(f"wrote {out} ({len(rows):,} events for {len(ids):,} customers, seed {args.seed})")
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
