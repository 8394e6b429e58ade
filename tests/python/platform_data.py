"""One small data set shaped like a platform's export (Shopify-like), for every route of docs/own-data.md.

Orders `id, customer_id, created_at, total_price, financial_status, currency, total_refunded` and customers
`id, email, created_at, accepts_marketing, country_code`, as text (files) or typed (warehouse tables, with
TIMESTAMPTZ, BIGINT, DECIMAL and BOOLEAN columns). Two variants:
- `platform`: as the platform exports it: ISO-8601 offsets and Z, platform statuses, USD EUR GBP CAD and an
  order-level refunded amount (the final behaviour: needs the time-zone parsing and seeds of issue 13a);
- `naive`: the same orders as main parses them without that work: UTC timestamps without offset, statuses
  of the project's seed, EUR USD GBP, no refunded amount.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

ORDER_COLUMNS = ("id", "customer_id", "created_at", "total_price", "financial_status", "currency", "total_refunded")
CUSTOMER_COLUMNS = ("id", "email", "created_at", "accepts_marketing", "country_code")
# var rfm_column_map (and load_raw.py --column-map): contract column -> the platform's name
COLUMN_MAP = {
    "orders": {"order_id": "id", "ordered_at": "created_at", "order_total": "total_price",
               "status": "financial_status", "refunded_amount": "total_refunded"},
    "customers": {"customer_id": "id", "country": "country_code"},
}
# SQL types of the typed warehouse tables; {tz} is `with time zone` for the platform variant
ORDER_TYPES = ("bigint", "bigint", "timestamp{tz}", "decimal(12, 2)", "varchar", "varchar", "decimal(12, 2)")
CUSTOMER_TYPES = ("bigint", "varchar", "timestamp{tz}", "boolean", "varchar")
OFFSETS = (timedelta(hours=-5), timedelta(hours=-4), timedelta(0), timedelta(hours=1), timedelta(hours=5, minutes=30))
# financial_status -> the project's own status, for the naive variant
NAIVE_STATUS = {"paid": "completed", "partially_refunded": "completed", "refunded": "refunded",
                "pending": "pending", "voided": "cancelled"}

Row = dict[str, str | None]


@dataclass(frozen=True)
class PlatformData:
    orders: list[Row]
    customers: list[Row]
    has_time_zones: bool

    def contract(self, table: str) -> list[Row]:
        """The rows under the contract's column names (what the loader writes), for the oracle."""
        rows = self.orders if table == "orders" else self.customers
        renamed = {name: column for column, name in COLUMN_MAP[table].items()}
        return [{renamed.get(name, name): value for name, value in row.items()} for row in rows]


def _iso(moment: datetime, offset: timedelta) -> str:
    local = moment.astimezone(timezone(offset))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if not offset else local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:])


def _naive(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def generate(variant: str, customers: int = 24, orders: int = 70, seed: int = 13) -> PlatformData:
    """`platform` or `naive` (see the module's docstring); same seed, same rows."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    platform = variant == "platform"
    stamp = (lambda moment: _iso(moment, rng.choice(OFFSETS))) if platform else _naive
    customer_rows: list[Row] = []
    for number in range(1, customers + 1):
        customer_rows.append({
            "id": str(number),
            "email": f"shopper{number}@example.com",
            "created_at": stamp(start - timedelta(days=rng.randint(1, 400), minutes=rng.randint(0, 1439))),
            "accepts_marketing": rng.choice(("true", "false")),
            "country_code": rng.choice(("US", "DE", "GB", "CA")),
        })
    order_rows: list[Row] = []
    for number in range(1001, 1001 + orders):
        # near midnight UTC now and then, where the offset decides the day
        moment = start + timedelta(days=rng.randint(0, 330), minutes=rng.choice((2, 30, 600, 1430, rng.randint(0, 1439))))
        total = Decimal(rng.randint(500, 40000)) / 100
        status = rng.choice(("paid", "paid", "paid", "partially_refunded", "refunded", "pending", "voided"))
        refunded = {"partially_refunded": (total * Decimal("0.25")).quantize(Decimal("0.01")), "refunded": total}.get(status, Decimal("0.00"))
        order_rows.append({
            "id": str(number),
            "customer_id": str(rng.randint(1, customers + 3)),  # a few customers unknown to the customers table
            "created_at": stamp(moment),
            "total_price": f"{total:.2f}",
            "financial_status": status if platform else NAIVE_STATUS[status],
            "currency": rng.choice(("USD", "EUR", "GBP", "CAD") if platform else ("USD", "EUR", "GBP")),
            "total_refunded": f"{refunded:.2f}" if platform else None,
        })
    return PlatformData(order_rows, customer_rows, platform)
