#!/usr/bin/env python3
"""Generate reproducible demo orders and customers in the raw format of docs/rules.md.

Everything is computed in DuckDB SQL over range(): each random draw is a hash of
(row number, seed, salt) mapped to [0, 1), so the same seed gives the same bytes whatever the
thread count (random() would not). The clean set has no rejects under docs/rules.md;
--dirty-share appends rows covering every reject reason plus valid-but-messy rows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Sequence

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402

FIRST_NAMES = (
    "Alice", "Antoine", "Camille", "Chloé", "Clara", "David", "Emma", "Felix", "Giulia", "Hugo",
    "Inès", "Jan", "Jérôme", "José", "Jürgen", "Laura", "Léa", "Lucas", "Lukas", "Marco",
    "Maria", "Marie", "Mila", "Noah", "Nora", "Oliver", "Paul", "Pablo", "Sara", "Sofia",
    "Sophie", "Thomas", "Tom", "Victor", "Zoé", "Elena", "Louis", "Anna", "Luca", "Jade",
)
LAST_NAMES = (
    "martin", "bernard", "dubois", "muller", "schmidt", "garcia", "rossi", "russo", "janssens", "peeters",
    "devries", "smith", "jones", "brown", "johnson", "moreau", "lefebvre", "fischer", "weber", "lopez",
    "martinez", "bianchi", "romano", "maes", "bakker", "visser", "taylor", "wilson", "durand", "leroy",
)
COUNTRIES = (
    ("FR", 35), ("DE", 18), ("ES", 10), ("IT", 10), ("BE", 7), ("NL", 7), ("GB", 5), ("US", 4), ("CH", 2), ("PT", 2),
)
STATUSES = (
    ("completed", 58), ("delivered", 18), ("shipped", 9), ("pending", 4), ("cancelled", 5),
    ("failed", 1), ("refunded", 3), ("returned", 2),
)
PURCHASE_STATUSES = ("completed", "delivered", "shipped")
# Seasonality: Black Friday / Christmas peak, summer dip.
MONTH_WEIGHT = (0.85, 0.8, 0.9, 0.9, 0.95, 0.9, 0.85, 0.8, 0.95, 1.0, 1.5, 1.7)
WEEKDAY_WEIGHT = (1.15, 1.05, 0.95, 0.95, 1.0, 1.0, 0.9)  # Sunday first, as DuckDB's dayofweek()
LUT_SIZE = 65536  # resolution of the day-of-order inverse CDF
NEVER_ORDERED = 0.12
# Each buyer's propensity to reorder is Exp(1) ** SKEW: a Poisson mix over it gives counts that fall
# steadily from one order (about 60% of buyers at 2.5 orders per customer) to a long tail.
REORDER_SKEW = 2.5
REFUND_SHARE = 0.006

# Dirty categories, in output order; the first 13 are the order reject reasons of docs/rules.md (all but
# invalid_refunded_amount: the demo orders have no refunded_amount column).
ORDER_CATEGORIES = (
    "missing_order_id", "conflicting_duplicate", "duplicate_row", "missing_customer_id",
    "unparseable_ordered_at", "non_numeric_order_total", "absurd_order_total", "unknown_status",
    "unknown_currency", "future_dated", "negative_order_total", "invalid_refund_amount", "orphan_refund",
    "late_arriving_customer", "messy_valid", "merged_person_order",
)
CUSTOMER_CATEGORIES = (
    "missing_customer_id", "conflicting_duplicate", "duplicate_row", "unparseable_created_at",
    "same_person", "no_email", "messy_valid",
)
TS_FMT = "'%Y-%m-%d %H:%M:%S'"
# Raw columns, in the order of docs/rules.md section 1.
ORDER_COLUMNS = ("order_id", "customer_id", "ordered_at", "order_total", "status", "currency", "refund_of_order_id")
CUSTOMER_COLUMNS = ("customer_id", "email", "first_name", "created_at", "country", "accepts_marketing")


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def pick(values: Sequence[str | None], index: str) -> str:
    """SQL choosing values[index % len] (index: a non-negative integer expression)."""
    items = ", ".join("NULL" if v is None else lit(v) for v in values)
    return f"([{items}])[1 + ({index}) % {len(values)}]"


def weighted(u: str, choices: Sequence[tuple[str, float]]) -> str:
    """SQL CASE mapping a uniform [0,1) column to a value with the given weights."""
    total = sum(w for _, w in choices)
    cum, parts = 0.0, []
    for value, weight in choices[:-1]:
        cum += weight / total
        parts.append(f"WHEN {u} < {cum!r} THEN {lit(value)}")
    return f"CASE {' '.join(parts)} ELSE {lit(choices[-1][0])} END"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class Generator:
    def __init__(self, args: argparse.Namespace, tmp: str) -> None:
        self.a = args
        self.started = time.monotonic()
        self.con = duckdb.connect(config={"temp_directory": tmp})
        # u(i, salt): the only source of randomness, uniform in [0, 1). hash(i, seed, salt) would be
        # simpler, but DuckDB's multi-argument hash combines weakly (neighbouring i give close values);
        # its one-argument 64-bit integer hash mixes well, so offset i by a per-(salt, seed) constant.
        # The seed is an int from argparse, safe to inline.
        self.sql(
            f"CREATE MACRO u(i, salt) AS (hash(i + (hash(salt || ':{int(args.seed)}') >> 2)::BIGINT) >> 11)::DOUBLE"
            " / 9007199254740992.0"
        )
        self.start = years_before(args.end_date, args.years)
        self.end_ts = f"(DATE '{args.end_date}' + INTERVAL 86399 SECOND)"  # last second of the window
        n, c = args.orders, args.customers
        self.dirty_orders = max(3 * len(ORDER_CATEGORIES), round(args.dirty_share * n)) if args.dirty_share > 0 else 0
        self.dirty_customers = max(3 * len(CUSTOMER_CATEGORIES), round(args.dirty_share * c)) if args.dirty_share > 0 else 0
        # lpad() truncates, so the widths must fit every id we may mint (refunds < n).
        self.cw = max(7, len(str(c + self.dirty_customers + self.dirty_orders + 10)))
        self.ow = max(8, len(str(2 * n + 2 * self.dirty_orders + 10)))

    def sql(self, query: str) -> None:
        self.con.execute(query)

    def scalar(self, query: str) -> int:
        return int(self.con.execute(query).fetchone()[0])  # type: ignore[index]

    def stage(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True)

    def cid(self, number: str) -> str:
        return f"'C' || lpad(({number})::VARCHAR, {self.cw}, '0')"

    def oid(self, number: str) -> str:
        return f"'O' || lpad(({number})::VARCHAR, {self.ow}, '0')"

    def build_calendar(self) -> None:
        """day_lut(k, day): inverse CDF of the order date over LUT_SIZE buckets."""
        months = ", ".join(map(str, MONTH_WEIGHT))
        weekdays = ", ".join(map(str, WEEKDAY_WEIGHT))
        self.sql(f"""
            CREATE TABLE days AS
            WITH d AS (
                SELECT day::DATE AS day, row_number() OVER (ORDER BY day) AS n, count(*) OVER () AS total
                FROM generate_series(DATE '{self.start}' + 1, DATE '{self.a.end_date}', INTERVAL 1 DAY) g(day)
            ), w AS (
                -- seasonality x weekday x a business growing 40% over the window
                SELECT day, ([{months}])[month(day)] * ([{weekdays}])[dayofweek(day) + 1] * (1 + 0.4 * n / total) AS w
                FROM d
            )
            SELECT day, (sum(w) OVER (ORDER BY day) - w) / sum(w) OVER () AS cum_lo FROM w""")
        self.sql(f"""
            CREATE TABLE day_lut AS
            SELECT k, day FROM range({LUT_SIZE}) r(k)
            ASOF JOIN days ON (k + 0.5) / {LUT_SIZE} >= days.cum_lo""")

    def build_customers(self) -> None:
        c = self.a.customers
        first = pick(FIRST_NAMES, f"floor(u(i, 'first') * {len(FIRST_NAMES)})::BIGINT")
        last = pick(LAST_NAMES, f"floor(u(i, 'last') * {len(LAST_NAMES)})::BIGINT")
        domain = pick(("example.com", "example.org", "example.net"), "floor(u(i, 'domain') * 3)::BIGINT")
        self.sql(f"""
            CREATE TABLE cust AS
            SELECT i, {self.cid('i + 1')} AS customer_id, first_name,
                   -- the customer number makes emails unique
                   strip_accents(lower(first_name)) || '.' || last_name || (i + 1) || '@' || {domain} AS email,
                   {weighted("u(i, 'country')", COUNTRIES)} AS country,
                   CASE WHEN u(i, 'consent') < 0.62 THEN 'true' ELSE 'false' END AS accepts_marketing,
                   u(i, 'never') < {NEVER_ORDERED} AS never_ordered
            FROM (SELECT i, {first} AS first_name, {last} AS last_name FROM range({c}) r(i))""")
        # Buyer b gets order j = b; the other orders go to buyers with probability ~ propensity,
        # drawn by inverse CDF over cum_lo.
        self.sql(f"""
            CREATE TABLE buyers AS
            SELECT i, country, b, (sum(w) OVER (ORDER BY b) - w) / sum(w) OVER () AS cum_lo
            FROM (SELECT i, country, row_number() OVER (ORDER BY i) - 1 AS b,
                         pow(-ln(1 - u(i, 'propensity')), {REORDER_SKEW}) AS w
                  FROM cust WHERE NOT never_ordered)""")

    def build_orders(self) -> None:
        n = self.a.orders
        buyers = self.scalar("SELECT count(*) FROM buyers")
        end_ts = self.end_ts
        currency = f"""CASE country
            WHEN 'GB' THEN CASE WHEN uc < 0.9 THEN 'GBP' ELSE 'EUR' END
            WHEN 'US' THEN CASE WHEN uc < 0.95 THEN 'USD' ELSE 'EUR' END
            WHEN 'CH' THEN CASE WHEN uc < 0.8 THEN 'CHF' ELSE 'EUR' END
            ELSE {weighted('uc', (('EUR', 97), ('USD', 1.5), ('GBP', 1), ('CHF', 0.5)))} END"""
        self.sql(f"""
            CREATE TABLE base AS
            WITH who AS (
                SELECT j, i, country FROM range({min(n, buyers)}) r(j) JOIN buyers ON b = j
                UNION ALL
                SELECT j, i, country FROM (SELECT j, u(j, 'who') AS x FROM range({buyers}, {n}) r(j)) d
                ASOF JOIN buyers ON d.x >= buyers.cum_lo
            ), draws AS (
                SELECT j, i, country,
                       floor(u(j, 'day') * {LUT_SIZE})::BIGINT AS k,
                       CASE WHEN u(j, 'night') < 0.06 THEN floor(u(j, 'sec') * 25200)
                            ELSE 25200 + floor(u(j, 'sec') * 61200) END::BIGINT AS secs,
                       sqrt(-2 * ln(1 - u(j, 'z1'))) * cos(2 * pi() * u(j, 'z2')) AS z,
                       u(j, 'status') AS us, u(j, 'currency') AS uc, u(j, 'refund') AS ur, u(j, 'delay') AS ud
                FROM who
            )
            SELECT j, i, day + to_seconds(secs) AS ordered_at,
                   -- log-normal basket, median ~45
                   greatest(1, least(5000, round(exp(3.8 + 0.75 * z), 2)))::DECIMAL(12, 2) AS total,
                   {weighted('us', STATUSES)} AS status, {currency} AS currency, ur, ud
            FROM draws JOIN day_lut USING (k)""")
        purchase = ", ".join(map(lit, PURCHASE_STATUSES))
        # Partial refunds: after the order (1 h to 30 days, within the window), 10-90% of it.
        self.sql(f"""
            CREATE TABLE refunds AS
            SELECT j, i,
                   ordered_at + to_seconds(3600 + floor(ud * (least(2592000, epoch({end_ts} - ordered_at)) - 3600))::BIGINT) AS ordered_at,
                   -- ur < REFUND_SHARE here, so ur / REFUND_SHARE is again uniform in [0, 1)
                   (-round(total * (0.1 + 0.8 * ur / {REFUND_SHARE}), 2))::DECIMAL(12, 2) AS total,
                   'completed' AS status, currency
            FROM base
            WHERE ur < {REFUND_SHARE} AND status IN ({purchase}) AND ordered_at < {end_ts} - INTERVAL 2 HOUR""")
        # Ids follow time, as a real shop's would, so a refund's id is after its order's.
        self.sql(f"""
            CREATE TABLE numbered AS
            SELECT *, row_number() OVER (ORDER BY ordered_at, kind, j) AS seq FROM (
                SELECT j, 0 AS kind, i, ordered_at, total, status, currency FROM base
                UNION ALL SELECT j, 1, i, ordered_at, total, status, currency FROM refunds)""")
        self.sql(f"""
            CREATE TABLE clean_orders AS
            SELECT n.seq, n.kind, n.j, {self.oid('n.seq')} AS order_id, c.customer_id,
                   strftime(n.ordered_at, {TS_FMT}) AS ordered_at, n.total::VARCHAR AS order_total,
                   n.status, n.currency, {self.oid('p.seq')} AS refund_of_order_id
            FROM numbered n
            JOIN cust c USING (i)
            LEFT JOIN (SELECT j, seq FROM numbered WHERE kind = 0) p ON n.kind = 1 AND p.j = n.j""")
        self.sql("DROP TABLE numbered")  # keep the peak memory down at 10M rows
        # Accounts open shortly (mostly) before the first order; never-buyers any time in the window.
        start_ts = f"TIMESTAMP '{self.start} 00:00:00'"
        self.sql(f"""
            CREATE TABLE clean_customers AS
            SELECT c.i, c.customer_id, c.email, c.first_name,
                   strftime(CASE WHEN f.first_at IS NULL
                        THEN {start_ts} + to_seconds(floor(u(c.i, 'created') * epoch({end_ts} - {start_ts}))::BIGINT)
                        ELSE greatest({start_ts}, f.first_at - to_seconds(60 + floor(pow(u(c.i, 'created'), 3) * 15552000)::BIGINT))
                   END, {TS_FMT}) AS created_at,
                   c.country, c.accepts_marketing
            FROM cust c LEFT JOIN (SELECT i, min(ordered_at) AS first_at FROM base GROUP BY i) f USING (i)""")
        self.sql("DROP TABLE base")

    def spaced(self, k: str, count: int, size: int) -> str:
        """SQL: index in [0, size) of dirty row k's source row, evenly spread and distinct if count <= size."""
        return f"floor((({k}) + 0.5) * {size} / {count})::BIGINT" if count <= size else f"(({k}) % {size})"

    def build_dirty_customers(self) -> None:
        total, kinds = self.dirty_customers, len(CUSTOMER_CATEGORIES)
        same = CUSTOMER_CATEGORIES.index("same_person")
        # same_person rows share sources, giving people with 2 or 3 ids.
        src_k = f"CASE WHEN k % {kinds} = {same} THEN ((k // {kinds}) * 2 // 3) * {kinds} + {same} ELSE k END"
        self.sql(f"""
            CREATE TABLE dirty_customers_src AS
            SELECT k, k % {kinds} AS c, k // {kinds} AS m, {self.cid(f'{self.a.customers} + 1 + k')} AS new_id,
                   u(k, 'dirty_customer') AS du, s.*, strptime(s.created_at, {TS_FMT}) AS created_ts
            FROM range({total}) r(k)
            JOIN clean_customers s ON s.i = {self.spaced(src_k, total, self.a.customers)}""")
        bad_created = (
            "2024-02-30", "12/03/2024", "last week", "2024-13-01 00:00:00", "2024-01-01 24:00:00", "2024-01-01T10:00:00Z",
        )
        consent = ("Y", "no", "1", "0", "T", "F", "YES", "n", "maybe")
        end_ts = self.end_ts
        overrides: dict[str, dict[str, str]] = {
            "missing_customer_id": {"customer_id": pick((None, "   "), "m")},
            "conflicting_duplicate": {
                "customer_id": "customer_id",
                "country": "CASE WHEN country = 'FR' THEN 'DE' ELSE 'FR' END",
            },
            # Every other copy differs only by what normalising removes: still a duplicate_row.
            "duplicate_row": {
                "customer_id": "CASE WHEN m % 2 = 0 THEN customer_id ELSE ' ' || customer_id END",
                "email": "CASE WHEN m % 2 = 0 THEN email ELSE upper(email) || '  ' END",
                "country": "CASE WHEN m % 2 = 0 THEN country ELSE ' ' || lower(country) END",
            },
            "unparseable_created_at": {"created_at": pick(bad_created, "m")},
            # Later, earlier (the new id survives the merge) or unknown creation; consent may shrink.
            "same_person": {
                "email": "CASE m % 4 WHEN 0 THEN upper(email) WHEN 1 THEN '  ' || email || ' '"
                " WHEN 2 THEN upper(email[1]) || email[2:] ELSE ' ' || upper(email) END",
                "created_at": f"""CASE m % 3
                    WHEN 0 THEN strftime(least({end_ts}, created_ts + to_days(1 + floor(du * 400)::INTEGER)), {TS_FMT})
                    WHEN 1 THEN strftime(created_ts - to_days(1 + floor(du * 400)::INTEGER), {TS_FMT}) END""",
                "accepts_marketing": pick(("false", "yes"), "m"),
            },
            "no_email": {"email": pick((None, "", "   "), "m"), "created_at": "CASE WHEN m % 2 = 0 THEN created_at END"},
            "messy_valid": {
                "customer_id": "'  ' || new_id || ' '",
                "email": "'Messy.' || new_id || '@Example.COM '",
                "country": "' ' || lower(country) || ' '",
                "accepts_marketing": pick(consent, "m"),
                "created_at": "CASE m % 3 WHEN 0 THEN strftime(created_ts, '%Y-%m-%dT%H:%M')"
                " WHEN 1 THEN created_at[:10] ELSE created_at || '.250000' END",
            },
        }
        self._union("dirty_customers", "dirty_customers_src", CUSTOMER_CATEGORIES, CUSTOMER_COLUMNS, overrides)
        self.sql(
            "CREATE TABLE same_person AS SELECT row_number() OVER (ORDER BY k) - 1 AS r, customer_id"
            " FROM dirty_customers WHERE category = 'same_person'"
        )

    def build_dirty_orders(self) -> None:
        total, kinds, n = self.dirty_orders, len(ORDER_CATEGORIES), self.a.orders
        same_people = self.scalar("SELECT count(*) FROM same_person")
        self.sql(f"""
            CREATE TABLE dirty_orders_src AS
            SELECT k, k % {kinds} AS c, k // {kinds} AS m, {self.oid(f'{2 * n} + 1 + k')} AS new_id,
                   u(k, 'dirty_order') AS du, s.*, sp.customer_id AS same_person_id
            FROM range({total}) r(k)
            JOIN clean_orders s ON s.kind = 0 AND s.j = {self.spaced('k', total, n)}
            LEFT JOIN same_person sp ON sp.r = (k // {kinds}) % {max(1, same_people)}""")
        overrides: dict[str, dict[str, str]] = {
            "missing_order_id": {"order_id": pick((None, "  "), "m")},
            "conflicting_duplicate": {"order_id": "order_id", "order_total": "(order_total::DECIMAL(12, 2) + 1)::VARCHAR"},
            "duplicate_row": {
                "order_id": "CASE WHEN m % 2 = 0 THEN order_id ELSE ' ' || order_id END",
                "status": "CASE WHEN m % 2 = 0 THEN status ELSE '  ' || upper(status) || ' ' END",
                "currency": "CASE WHEN m % 2 = 0 THEN currency ELSE lower(currency) || ' ' END",
            },
            "missing_customer_id": {"customer_id": pick((None, " "), "m")},
            "unparseable_ordered_at": {"ordered_at": pick((
                "2025-13-01 10:00:00", "2025-02-30 12:00:00", "31/12/2025", "yesterday", None,
                "2025-06-01 25:00:00", "2025-06-01T10:00:00 CEST", "20250601"), "m")},
            "non_numeric_order_total": {
                "order_total": pick(("abc", "1,234.50", "12.5e3", None, "€12.00", "12.3.4", "NaN", ""), "m"),
            },
            "absurd_order_total": {"order_total": pick(("1000000.01", "25000000", "-2000000.00", "999999999.99"), "m")},
            "unknown_status": {"status": pick(("in_limbo", "lost_in_mail", "teleported"), "m")},
            "unknown_currency": {"currency": pick(("XYZ", "EURO", "BTC"), "m")},
            "future_dated": {"ordered_at": pick(("2999-01-01 00:00:00", "2999-12-31 23:59:59", "2998-06-15 12:30:00"), "m")},
            "negative_order_total": {"order_total": "'-' || order_total"},
            "invalid_refund_amount": {"order_total": pick(("0.00", "5.00"), "m"), "refund_of_order_id": "order_id"},
            # Points past the last id: the refunded order never arrived.
            "orphan_refund": {
                "order_total": "(-round(1 + du * 20, 2)::DECIMAL(12, 2))::VARCHAR",
                "refund_of_order_id": self.oid(f"{2 * n + total} + 1 + m"),
            },
            # Two orders each from customers missing from the customers file.
            "late_arriving_customer": {"customer_id": self.cid(f"{self.a.customers + self.dirty_customers} + 1 + m // 2")},
            "messy_valid": {
                "order_id": "'  ' || new_id || ' '",
                "customer_id": "' ' || customer_id",
                "status": "CASE WHEN m % 2 = 0 THEN upper(status) ELSE ' ' || upper(status[1]) || status[2:] || '  ' END",
                "currency": "' ' || lower(currency)",
                "ordered_at": "CASE m % 3 WHEN 0 THEN replace(ordered_at[:16], ' ', 'T')"
                " WHEN 1 THEN ordered_at[:10] ELSE ordered_at || '.123456' END",
                "order_total": "CASE WHEN m % 2 = 0 THEN '+' || order_total ELSE order_total || '0' END",
            },
            "merged_person_order": {"customer_id": "same_person_id"},
        }
        self._union("dirty_orders", "dirty_orders_src", ORDER_CATEGORIES, ORDER_COLUMNS, overrides)

    def _union(
        self, name: str, source: str, categories: Sequence[str], columns: Sequence[str],
        overrides: dict[str, dict[str, str]],
    ) -> None:
        """Table `name`: one SELECT per category; unlisted columns copy the source row, the id is new."""
        selects = []
        for index, category in enumerate(categories):
            exprs = {c: c for c in columns} | {columns[0]: "new_id"} | overrides.get(category, {})
            cols = ", ".join(f"({exprs[c]})::VARCHAR AS {c}" for c in columns)
            selects.append(f"SELECT k, {lit(category)} AS category, {cols} FROM {source} WHERE c = {index}")
        self.sql(f"CREATE TABLE {name} AS " + " UNION ALL ".join(selects))

    def write(self) -> tuple[Path, Path]:
        out, fmt = Path(self.a.out), self.a.format
        out.mkdir(parents=True, exist_ok=True)
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true"
        paths = (out / f"orders.{fmt}", out / f"customers.{fmt}")
        for path, columns, clean, dirty, key in (
            (paths[0], ", ".join(ORDER_COLUMNS), "clean_orders", "dirty_orders", "seq"),
            (paths[1], ", ".join(CUSTOMER_COLUMNS), "clean_customers", "dirty_customers", "i"),
        ):
            self.stage(f"writing {path}")
            dirty_part = f"UNION ALL SELECT 1, k, {columns} FROM {dirty}" if self.a.dirty_share > 0 else ""
            query = f"SELECT {columns} FROM (SELECT 0 AS part, {key} AS n, {columns} FROM {clean} {dirty_part}) ORDER BY part, n"
            self.con.execute(f"COPY ({query}) TO ? ({options})", [str(path)])
        return paths

    def run(self) -> str:
        self.stage("calendar")
        self.build_calendar()
        self.stage(f"customers ({self.a.customers:,})")
        self.build_customers()
        self.stage(f"orders ({self.a.orders:,})")
        self.build_orders()
        if self.a.dirty_share > 0:
            self.stage(f"dirty rows ({self.dirty_orders:,} orders, {self.dirty_customers:,} customers)")
            self.build_dirty_customers()
            self.build_dirty_orders()
        orders_path, customers_path = self.write()
        refunds = self.scalar("SELECT count(*) FROM refunds")
        clean_orders = self.scalar("SELECT count(*) FROM clean_orders")
        return (
            f"wrote {orders_path} ({clean_orders + self.dirty_orders:,} rows: {clean_orders - refunds:,} orders, "
            f"{refunds:,} refunds, {self.dirty_orders:,} dirty) and {customers_path} "
            f"({self.a.customers + self.dirty_customers:,} rows, {self.dirty_customers:,} dirty) "
            f"from {self.start} to {self.a.end_date}, seed {self.a.seed}, in {time.monotonic() - self.started:.1f}s"
        )


# Up to 100 million rows and 100 years: more is a typo, not a demo.
COUNT = rfm_cli.bounded_int(1, 100_000_000)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(
        description="Generate reproducible demo orders and customers (raw format of docs/rules.md)."
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--customers", type=COUNT, default=2000, help="number of clean customers (default 2000)")
    parser.add_argument(
        "--orders", type=COUNT,
        help="number of clean non-refund orders (default 2.5 x customers); ~0.5%% refund rows come on top",
    )
    parser.add_argument("--seed", type=int, default=42, help="same seed, same bytes (default 42)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="output format (default csv)")
    parser.add_argument(
        "--end-date", type=rfm_cli.iso_date, default=date(2026, 6, 30), help="last order day, YYYY-MM-DD (default 2026-06-30)"
    )
    parser.add_argument("--years", type=rfm_cli.bounded_int(1, 100), default=3, help="years of history before --end-date (default 3)")
    parser.add_argument(
        "--dirty-share", type=rfm_cli.share(), default=0.0,
        help="dirty rows to append, as a share of the clean rows (default 0: a set with no rejects)",
    )
    args = parser.parse_args(argv)
    if args.orders is None:
        args.orders = round(2.5 * args.customers)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise rfm_cli.UserError(f"--out {args.out} exists and is not a folder")
    if args.end_date > date.today():
        print("warning: --end-date is after today: later orders are future_dated rejects unless var rfm_today is set",
              file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="rfm_gen_") as tmp:
        print(Generator(args, tmp).run())
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
