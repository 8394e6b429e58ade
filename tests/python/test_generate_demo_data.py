"""scripts/generate_demo_data.py: reproducible, realistic, clean when asked, dirty in every way when asked.

The reject rules are re-checked here with a deliberately simple reading of docs/rules.md section 3.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "order_total", "status", "currency", "refund_of_order_id"]
CUSTOMER_COLUMNS = ["customer_id", "email", "first_name", "created_at", "country", "accepts_marketing"]
ORDER_REASONS = [
    "missing_order_id", "conflicting_duplicate", "duplicate_row", "missing_customer_id", "unparseable_ordered_at",
    "non_numeric_order_total", "absurd_order_total", "unknown_status", "unknown_currency", "future_dated",
    "negative_order_total", "invalid_refund_amount", "orphan_refund",
]
CUSTOMER_REASONS = ["missing_customer_id", "conflicting_duplicate", "duplicate_row", "unparseable_created_at"]
TS = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{6})?)?)?")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
Row = dict[str, "str | None"]


def seed_values(name: str, column: str) -> set[str]:
    with open(ROOT / "seeds" / name, encoding="utf-8", newline="") as file:
        return {row[column] for row in csv.DictReader(file)}


STATUSES = seed_values("order_statuses.csv", "status")
CURRENCIES = seed_values("currency_rates.csv", "currency_code")


def generate(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "scripts/generate_demo_data.py", "--out", str(out), *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def read(path: Path) -> list[Row]:
    if path.suffix == ".parquet":
        with duckdb.connect() as con:
            result = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
            names = [d[0] for d in result.description]
            return [dict(zip(names, values)) for values in result.fetchall()]
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def normalise(row: Row) -> Row:
    out: Row = {}
    for key, value in row.items():
        text = value.strip() if value is not None else None
        text = text or None
        if text and key in ("status", "email"):
            text = text.lower()
        if text and key in ("currency", "country"):
            text = text.upper()
        out[key] = text
    return out


def parses_ts(value: str | None) -> bool:
    if value is None or not TS.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def id_reasons(rows: list[Row], key: str) -> list[str | None]:
    """missing id, conflicting_duplicate, duplicate_row: the first three rules, orders and customers alike."""
    contents: dict[str, set[tuple[str | None, ...]]] = defaultdict(set)
    for row in rows:
        if row[key] is not None:
            contents[row[key]].add(tuple(row.values()))
    seen: set[str] = set()
    reasons: list[str | None] = []
    for row in rows:
        if row[key] is None:
            reasons.append(f"missing_{key}")
        elif len(contents[row[key]]) > 1:
            reasons.append("conflicting_duplicate")
        elif row[key] in seen:
            reasons.append("duplicate_row")
        else:
            seen.add(row[key])
            reasons.append(None)
    return reasons


def order_reasons(raw: list[Row]) -> list[str | None]:
    rows = [normalise(r) for r in raw]
    reasons = id_reasons(rows, "order_id")
    for i, row in enumerate(rows):
        if reasons[i]:
            continue
        total = Decimal(row["order_total"]) if row["order_total"] and NUMBER.fullmatch(row["order_total"]) else None
        if row["customer_id"] is None:
            reasons[i] = "missing_customer_id"
        elif not parses_ts(row["ordered_at"]):
            reasons[i] = "unparseable_ordered_at"
        elif total is None:
            reasons[i] = "non_numeric_order_total"
        elif abs(total) > 1_000_000:
            reasons[i] = "absurd_order_total"
        elif row["status"] is not None and row["status"] not in STATUSES:
            reasons[i] = "unknown_status"
        elif row["currency"] is not None and row["currency"] not in CURRENCIES:
            reasons[i] = "unknown_currency"
        elif date.fromisoformat(row["ordered_at"][:10]) > date.today():  # type: ignore[index]
            reasons[i] = "future_dated"
        elif total < 0 and row["refund_of_order_id"] is None:
            reasons[i] = "negative_order_total"
        elif row["refund_of_order_id"] is not None and total >= 0:
            reasons[i] = "invalid_refund_amount"
    accepted = {r["order_id"] for r, why in zip(rows, reasons) if why is None and r["refund_of_order_id"] is None}
    for i, row in enumerate(rows):
        if reasons[i] is None and row["refund_of_order_id"] is not None and row["refund_of_order_id"] not in accepted:
            reasons[i] = "orphan_refund"
    return reasons


def customer_reasons(raw: list[Row]) -> list[str | None]:
    rows = [normalise(r) for r in raw]
    reasons = id_reasons(rows, "customer_id")
    for i, row in enumerate(rows):
        if reasons[i] is None and row["created_at"] is not None and not parses_ts(row["created_at"]):
            reasons[i] = "unparseable_created_at"
    return reasons


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Row], list[Row]]:
    out = tmp_path_factory.mktemp("clean")
    generate(out, "--customers", "400", "--seed", "7")
    return read(out / "orders.csv"), read(out / "customers.csv")


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Row], list[Row]]:
    out = tmp_path_factory.mktemp("dirty")
    generate(out, "--customers", "400", "--seed", "7", "--dirty-share", "0.1")
    return read(out / "orders.csv"), read(out / "customers.csv")


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for run in ("a", "b", "other"):
        generate(tmp_path / run, "--customers", "300", "--dirty-share", "0.05", "--seed", "3" if run == "other" else "5")
    for name in ("orders.csv", "customers.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "other" / name).read_bytes()


def test_parquet_output_is_reproducible_and_matches_csv(tmp_path: Path) -> None:
    for run in ("a", "b"):
        result = generate(tmp_path / run, "--customers", "300", "--format", "parquet")
        assert "orders.parquet" in result.stdout and len(result.stdout.strip().splitlines()) == 1
    for name in ("orders.parquet", "customers.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    generate(tmp_path / "csv", "--customers", "300")
    for table in ("orders", "customers"):
        as_csv = [{k: v or None for k, v in row.items()} for row in read(tmp_path / "csv" / f"{table}.csv")]
        assert read(tmp_path / "a" / f"{table}.parquet") == as_csv


def test_clean_set_has_the_contract_columns_and_no_rejects(clean: tuple[list[Row], list[Row]]) -> None:
    orders, customers = clean
    assert list(orders[0]) == ORDER_COLUMNS and list(customers[0]) == CUSTOMER_COLUMNS
    assert len(customers) == 400 and sum(1 for o in orders if not o["refund_of_order_id"]) == 1000
    assert set(order_reasons(orders)) == {None}
    assert set(customer_reasons(customers)) == {None}
    assert len({c["email"] for c in customers}) == len(customers)
    assert all(re.fullmatch(r"O\d{8}", o["order_id"]) and re.fullmatch(r"C\d{7}", o["customer_id"]) for o in orders)  # type: ignore[arg-type]


def test_clean_set_looks_like_a_shop(clean: tuple[list[Row], list[Row]]) -> None:
    orders, customers = clean
    purchases = [o for o in orders if not o["refund_of_order_id"]]
    per_customer = Counter(o["customer_id"] for o in purchases)
    counts = Counter(per_customer.get(c["customer_id"], 0) for c in customers)
    # Long tail: one order is the most common case, a tenth or so never ordered, a few order a lot.
    assert counts[1] > len(customers) / 2 and counts[1] > 3 * counts[2]
    assert 0.05 < counts[0] / len(customers) < 0.2
    assert max(per_customer.values()) >= 8
    months = Counter(int(o["ordered_at"][5:7]) for o in purchases)  # type: ignore[index]
    assert months[12] > months[2] and months[11] > months[8]
    assert {o["currency"] for o in orders} >= {"EUR", "USD", "GBP"}
    assert Counter(o["currency"] for o in orders).most_common(1)[0][0] == "EUR"
    assert Counter(o["status"] for o in orders).most_common(1)[0][0] == "completed"
    assert all(re.fullmatch(r"\d+\.\d{2}", o["order_total"].lstrip("-")) for o in orders)  # type: ignore[union-attr]
    first_order: dict[str, str] = {}
    for o in purchases:
        first_order[o["customer_id"]] = min(first_order.get(o["customer_id"], "9"), o["ordered_at"])  # type: ignore[index, type-var]
    assert all(c["created_at"] < first_order[c["customer_id"]] for c in customers if c["customer_id"] in first_order)  # type: ignore[operator]
    by_id = {o["order_id"]: o for o in orders}
    refunds = [o for o in orders if o["refund_of_order_id"]]
    assert refunds
    for refund in refunds:
        parent = by_id[refund["refund_of_order_id"]]  # type: ignore[index]
        assert parent["customer_id"] == refund["customer_id"] and parent["ordered_at"] < refund["ordered_at"]  # type: ignore[operator]
        assert 0 < -Decimal(refund["order_total"]) < Decimal(parent["order_total"])  # type: ignore[arg-type]


def test_dirty_set_covers_every_reject_reason(dirty: tuple[list[Row], list[Row]], clean: tuple[list[Row], list[Row]]) -> None:
    orders, customers = dirty
    assert orders[: len(clean[0])] == clean[0] and customers[: len(clean[1])] == clean[1]  # dirt is appended
    order_counts = Counter(order_reasons(orders))
    customer_counts = Counter(customer_reasons(customers))
    assert {r: order_counts[r] for r in ORDER_REASONS if order_counts[r] < 3} == {}
    assert {r: customer_counts[r] for r in CUSTOMER_REASONS if customer_counts[r] < 3} == {}
    assert 0.05 < (len(orders) - len(clean[0])) / len(clean[0]) < 0.15


def test_dirty_set_has_merges_gaps_and_mess(dirty: tuple[list[Row], list[Row]]) -> None:
    orders, customers = dirty
    accepted = [normalise(c) for c, why in zip(customers, customer_reasons(customers)) if why is None]
    ids_per_email = Counter(c["email"] for c in accepted if c["email"])
    assert sum(1 for n in ids_per_email.values() if n >= 2) >= 3  # same person, several ids
    assert sum(1 for c in accepted if c["email"] is None) >= 3
    known = {c["customer_id"] for c in accepted}
    late = [o for o, why in zip(orders, order_reasons(orders)) if why is None and normalise(o)["customer_id"] not in known]
    assert len(late) >= 3
    assert any(o["status"] and o["status"] != o["status"].strip() for o in orders)
    assert any(o["currency"] and o["currency"] != o["currency"].upper() for o in orders)
    assert any(c["country"] and c["country"] != c["country"].strip().upper() for c in customers)


def test_help_and_summary(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "scripts/generate_demo_data.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--dirty-share" in result.stdout
    result = generate(tmp_path, "--customers", "50", "--orders", "80")
    assert result.stdout.count("\n") == 1 and "80 orders" in result.stdout
    assert len(read(tmp_path / "customers.csv")) == 50
