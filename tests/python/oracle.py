"""Independent plain-Python implementation of docs/rules.md (the scoring contract).

Nothing here is shared with the dbt project except the seed CSVs: the point is to implement the contract a
second time, so that pytest can compare the SQL result with this one customer by customer. Section numbers
in comments refer to docs/rules.md.

Input rows are dicts of raw text (or None), exactly as loaded into `raw.orders` / `raw.customers`; all
normalising is done here. A customer row may also carry its raw `load_id` (an int): a later load of an id
replaces its earlier records.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from zoneinfo import ZoneInfo

Row = dict[str, str | None]
Reject = tuple[str, str | None, str]

ORDER_COLUMNS = (
    "order_id", "customer_id", "ordered_at", "order_total", "status", "currency", "refund_of_order_id", "refunded_amount",
)
CUSTOMER_COLUMNS = ("customer_id", "email", "first_name", "created_at", "country", "accepts_marketing", "concern")

# re.ASCII: `\d` must not accept non-ASCII digits; fullmatch: `$` would accept a trailing newline.
_TIMESTAMP_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?: ?(Z|[+-]\d{2}(?::?\d{2})?))?)?",
    re.ASCII,
)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_TRIMMED = " \t\n\r"
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_CENT = Decimal("0.01")
# Email (§2): whitespace and invisible characters removed anywhere, full-width ASCII forms (but the
# apostrophe and the backslash) as ASCII, then lower case.
_EMAIL_DROPPED = (" \t\n\v\f\r\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200E)))
                  + "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff\u180e")
_EMAIL_MAP: dict[int, int | None] = {
    **{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if c not in (0xFF07, 0xFF3C)},
    **{ord(c): None for c in _EMAIL_DROPPED},
}


def normalise_email(value: str | None) -> str | None:
    return (value.translate(_EMAIL_MAP).lower() or None) if value is not None else None


# Per column, the case normalisation of section 2 (applied after trimming).
_CASE: dict[str, Callable[[str], str | None]] = {
    "status": str.lower,
    "currency": str.upper,
    "country": str.upper,
    "email": normalise_email,
    "concern": str.lower,
}


# --------------------------------------------------------------------------------------------- parsing (§2)


def clean(value: str | None) -> str | None:
    """Trim spaces, tabs and line breaks (only those); an empty string becomes None."""
    if value is None:
        return None
    value = value.strip(_TRIMMED)
    return value or None


def parse_timestamp(value: str | None, zone: str = "UTC") -> datetime | None:
    """`YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]][[ ]Z|±HH[[:]MM]]]` naming a real date/time, else None.

    The result is naive, in the reporting time zone `zone`: a value with Z or an offset is converted to it,
    a value without one is taken to be in it (§2).
    """
    if value is None:
        return None
    m = _TIMESTAMP_RE.fullmatch(value)
    if m is None:
        return None
    *whole, fraction, offset = m.groups()
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in whole)
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        local = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:  # not a real calendar date/time (2023-02-30, 25:00, ...)
        return None
    if offset is None:
        return local
    digits = offset.replace(":", "")
    hours, minutes = (0, 0) if digits == "Z" else (int(digits[1:3]), int(digits[3:5] or 0))
    if hours > 23 or minutes > 59:
        return None
    minutes = (hours * 60 + minutes) * (-1 if digits[0] == "-" else 1)
    try:  # None when the time, in UTC or in the reporting zone, falls outside years 1-9999
        instant = local.replace(tzinfo=timezone(timedelta(minutes=minutes))).astimezone(timezone.utc)
        return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None


def parse_amount(value: str | None) -> Decimal | None:
    """`[+-]digits[.[digits]]` or `[+-].digits`, rounded to cents half away from zero (ROUND_HALF_UP)."""
    if value is None or _NUMBER_RE.fullmatch(value) is None:
        return None
    with localcontext(prec=len(value) + 3):  # exact for any length: the default 28 digits would raise
        return Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def normalise(row: Row, columns: Sequence[str]) -> dict[str, str | None]:
    """Text-level normalising of section 2: trim, blank -> None, case rules. Missing columns -> None."""
    out: dict[str, str | None] = {}
    for col in columns:
        value = clean(row.get(col))
        out[col] = _CASE[col](value) if value is not None and col in _CASE else value
    return out


# ------------------------------------------------------------------------------------------------- seeds


@dataclass(frozen=True)
class Seeds:
    statuses: dict[str, bool]  # status -> is_purchase
    rates: dict[str, Decimal]  # currency_code -> rate_to_base
    segment_maps: dict[int, dict[tuple[int, int, int], str]]  # score_levels -> (r, f, m) -> segment_code
    segment_names: dict[str, str]

    @classmethod
    def load(cls, seeds_dir: Path) -> Seeds:
        def rows(name: str) -> list[dict[str, str]]:
            with (seeds_dir / name).open(newline="", encoding="utf-8") as fh:
                return list(csv.DictReader(fh))

        segment_maps: dict[int, dict[tuple[int, int, int], str]] = defaultdict(dict)
        for r in rows("rfm_segment_map.csv"):
            segment_maps[int(r["score_levels"])][(int(r["r_score"]), int(r["f_score"]), int(r["m_score"]))] = r["segment_code"]
        return cls(
            statuses={r["status"]: r["is_purchase"].strip().lower() == "true" for r in rows("order_statuses.csv")},
            rates={r["currency_code"]: Decimal(r["rate_to_base"]) for r in rows("currency_rates.csv")},
            segment_maps=dict(segment_maps),
            segment_names={r["segment_code"]: r["segment_name"] for r in rows("rfm_segments.csv")},
        )


# ------------------------------------------------------------------------------------------------- I/O


def read_csv_rows(path: Path, columns: Sequence[str]) -> list[Row]:
    """Read a CSV into raw rows: every value a str (not trimmed), missing optional columns None.

    An empty CSV field is kept as '' (the oracle turns it into None when normalising, as staging does).
    """
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return [{col: rec.get(col) for col in columns} for rec in csv.DictReader(fh)]


def read_orders_csv(path: Path) -> list[Row]:
    return read_csv_rows(path, ORDER_COLUMNS)


def read_customers_csv(path: Path) -> list[Row]:
    return read_csv_rows(path, CUSTOMER_COLUMNS)


# ----------------------------------------------------------------------------------------- rejects (§3)


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    ordered_on: date
    total: Decimal  # in the order's own currency, rounded to cents
    status: str | None
    currency: str | None
    refund_of: str | None
    refunded: Decimal  # the order's own refunded amount (0 when absent), in its currency


@dataclass(frozen=True)
class Customer:
    customer_id: str
    email: str | None
    first_name: str | None
    created_at: datetime | None
    country: str | None
    accepts_marketing: bool | None


def _dedupe(
    rows: list[dict[str, str | None]], key: str, source: str, rejects: list[Reject]
) -> list[dict[str, str | None]]:
    """Rules 1-3 shared by both sources: missing key, conflicting duplicate, duplicate row.

    Content is the normalised text of every column (rules.md §3: "compared as text"), None equal to None.
    """
    contents: dict[str, set[tuple[str | None, ...]]] = defaultdict(set)
    for row in rows:
        if row[key] is not None:
            contents[row[key]].add(tuple(row.values()))
    survivors: list[dict[str, str | None]] = []
    kept: set[str] = set()
    for row in rows:
        k = row[key]
        if k is None:
            rejects.append((source, None, f"missing_{key}"))
        elif len(contents[k]) > 1:
            rejects.append((source, k, "conflicting_duplicate"))
        elif k in kept:
            rejects.append((source, k, "duplicate_row"))
        else:
            kept.add(k)
            survivors.append(row)
    return survivors


def _check_orders(
    orders: Iterable[Row], seeds: Seeds, today: date, max_order_total: Decimal, base_currency: str, zone: str
) -> tuple[list[Order], list[Reject]]:
    rejects: list[Reject] = []
    accepted: list[Order] = []
    for row in _dedupe([normalise(r, ORDER_COLUMNS) for r in orders], "order_id", "orders", rejects):
        ordered_at = parse_timestamp(row["ordered_at"], zone)
        total = parse_amount(row["order_total"])
        refunded = parse_amount(row["refunded_amount"])
        status, currency, refund_of = row["status"], row["currency"], row["refund_of_order_id"]
        # First matching rule wins (§3, orders 4-13); rule 14 needs the accepted set, so it runs below.
        reason = (
            "missing_customer_id" if row["customer_id"] is None
            else "unparseable_ordered_at" if ordered_at is None
            else "non_numeric_order_total" if total is None
            else "absurd_order_total" if abs(total) > max_order_total
            else "unknown_status" if status is not None and status not in seeds.statuses
            else "unknown_currency" if currency not in (None, base_currency) and currency not in seeds.rates
            else "future_dated" if ordered_at.date() > today
            else "negative_order_total" if total < 0 and refund_of is None
            else "invalid_refund_amount" if refund_of is not None and total >= 0
            else "invalid_refunded_amount" if row["refunded_amount"] is not None
            and (refunded is None or refunded < 0 or refunded > total)
            else None
        )
        if reason is not None:
            rejects.append(("orders", row["order_id"], reason))
            continue
        order_id, customer_id = row["order_id"], row["customer_id"]
        assert order_id and customer_id and ordered_at and total is not None  # narrowed by the rules above
        accepted.append(
            Order(order_id, customer_id, ordered_at.date(), total, status, currency, refund_of, refunded or Decimal(0))
        )
    purchase_ids = {o.order_id for o in accepted if o.refund_of is None}
    kept: list[Order] = []
    for order in accepted:
        if order.refund_of is not None and order.refund_of not in purchase_ids:
            rejects.append(("orders", order.order_id, "orphan_refund"))
        else:
            kept.append(order)
    return kept, rejects


def current_customer_records(customers: Iterable[Row]) -> list[dict[str, str | None]]:
    """§3: of the records of one customer_id, those of its latest load (the raw row's `load_id`; a row without
    one is of the newest load) are the customer, the others are superseded; a record without an id is its own."""
    rows = [(normalise(r, CUSTOMER_COLUMNS), math.inf if r.get("load_id") is None else int(r["load_id"]))
            for r in customers]
    latest: dict[str, float] = {}
    for row, load in rows:
        if row["customer_id"] is not None:
            latest[row["customer_id"]] = max(load, latest.get(row["customer_id"], -math.inf))
    return [row for row, load in rows if row["customer_id"] is None or load == latest[row["customer_id"]]]


def _check_customers(customers: Iterable[Row], zone: str) -> tuple[list[Customer], list[Reject]]:
    rejects: list[Reject] = []
    accepted: list[Customer] = []
    for row in _dedupe(current_customer_records(customers), "customer_id", "customers", rejects):
        created_at = parse_timestamp(row["created_at"], zone)
        if row["created_at"] is not None and created_at is None:
            rejects.append(("customers", row["customer_id"], "unparseable_created_at"))
            continue
        assert row["customer_id"] is not None
        accepted.append(
            Customer(
                row["customer_id"], row["email"], row["first_name"], created_at, row["country"],
                parse_bool(row["accepts_marketing"]),
            )
        )
    return accepted, rejects


def expected_rejects(
    orders: Iterable[Row],
    customers: Iterable[Row],
    *,
    seeds_dir: Path,
    today: date,
    max_order_total: Decimal = Decimal(1000000),
    base_currency: str = "EUR",
    zone: str = "UTC",
) -> list[Reject]:
    """(source, raw_key, reason) for every rejected raw row (§3); compare as a multiset, order is not defined."""
    seeds = Seeds.load(seeds_dir)
    return (
        _check_orders(orders, seeds, today, max_order_total, base_currency, zone)[1]
        + _check_customers(customers, zone)[1]
    )


# -------------------------------------------------------------------------------------- merge by email (§4)


def refused_emails(customers: Iterable[Row]) -> set[str]:
    """Addresses that any raw customer record refused marketing for, rejected records included (§4)."""
    rows = [normalise(r, CUSTOMER_COLUMNS) for r in customers]
    return {r["email"] for r in rows if r["email"] is not None and parse_bool(r["accepts_marketing"]) is False}


def _merge_customers(customers: list[Customer], refused: set[str]) -> tuple[dict[str, str], dict[str, Customer]]:
    """(customer_id -> survivor id, survivor id -> merged customer)."""
    groups: dict[str, list[Customer]] = defaultdict(list)
    for c in customers:
        # Without email a customer is its own group: key on its id, which cannot clash with an email key.
        groups[f"email:{c.email}" if c.email is not None else f"id:{c.customer_id}"].append(c)
    id_map: dict[str, str] = {}
    merged: dict[str, Customer] = {}
    for members in groups.values():
        # Earliest created_at first, null counts as latest, ties: smallest customer_id (code-point order =
        # UTF-8 byte order, like DuckDB's default binary collation).
        survivor = min(members, key=lambda c: (c.created_at is None, c.created_at or datetime.min, c.customer_id))
        # Consent is a suppression rule: a refused address is refused (the members share it, so a refusal
        # among them counts too); otherwise the survivor's own value (true, false or null).
        consent = False if survivor.email in refused else survivor.accepts_marketing
        merged[survivor.customer_id] = Customer(
            survivor.customer_id, survivor.email, survivor.first_name, survivor.created_at, survivor.country, consent
        )
        for c in members:
            id_map[c.customer_id] = survivor.customer_id
    return id_map, merged


def expected_customer_ids(
    orders: Iterable[Row], customers: Iterable[Row], *, seeds_dir: Path, today: date, zone: str = "UTC"
) -> set[str]:
    """Every customer the lifecycle marts hold (docs/lifecycle.md): the customers export merged (survivors
    only), plus the late-arriving customers that only the valid orders name, under their surviving id."""
    customers = list(customers)
    id_map, merged = _merge_customers(_check_customers(customers, zone)[0], refused_emails(customers))
    accepted, _ = _check_orders(orders, Seeds.load(seeds_dir), today, Decimal(1000000), "EUR", zone)
    return set(merged) | {id_map.get(o.customer_id, o.customer_id) for o in accepted}


# --------------------------------------------------------------------------------------------- scores (§7)


def minus(day: date, count: int, unit: str) -> date:
    """`day` less `count` days or months; a month step keeps the day of month, capped at the month's end."""
    if unit == "day":
        return day - timedelta(days=count)
    months = day.year * 12 + day.month - 1 - count
    year, month = divmod(months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def ntile(n: int, buckets: int) -> list[int]:
    """SQL NTILE for n ordered rows: the first n % buckets buckets get one extra row; n < buckets uses 1..n."""
    size, extra = divmod(n, buckets)
    out: list[int] = []
    for bucket in range(1, buckets + 1):
        out.extend([bucket] * (size + (1 if bucket <= extra else 0)))
    return out


def scores(values: dict[str, int | Decimal], *, descending: bool, levels: int, tie_policy: str) -> dict[str, int]:
    """Score per customer id: NTILE over (value [desc], customer_id); `shared` = min split score per value."""
    # Sorting by customer_id first and then stably by value gives (value asc|desc, customer_id asc).
    ordered = sorted(sorted(values), key=lambda cid: values[cid], reverse=descending)
    split = dict(zip(ordered, ntile(len(ordered), levels)))
    if tie_policy == "split":
        return split
    if tie_policy != "shared":
        raise ValueError(f"unknown tie_policy {tie_policy!r}")
    lowest: dict[int | Decimal, int] = {}
    for cid, score in split.items():
        lowest[values[cid]] = min(score, lowest.get(values[cid], score))
    return {cid: lowest[values[cid]] for cid in values}


# ------------------------------------------------------------------------------------------------- main


def valid_purchases(
    orders: Iterable[Row],
    customers: Iterable[Row],
    *,
    seeds: Seeds,
    as_of_date: date | None,
    today: date,
    scoring_window: tuple[int, str] | None = None,
    max_order_total: Decimal = Decimal(1000000),
    base_currency: str = "EUR",
    zone: str = "UTC",
) -> tuple[date | None, dict[str, list[tuple[date, Decimal]]], dict[str, Customer]]:
    """(as_of_date, the valid purchases on it as (date, net amount) per surviving customer id, the merged
    customers by surviving id): §3-§6. as_of_date is None when nobody can be scored."""
    accepted_orders, _ = _check_orders(orders, seeds, today, max_order_total, base_currency, zone)
    customers = list(customers)
    id_map, merged = _merge_customers(_check_customers(customers, zone)[0], refused_emails(customers))

    def is_purchase_status(o: Order) -> bool:
        return o.status is None or seeds.statuses[o.status]

    purchases = [o for o in accepted_orders if o.refund_of is None and is_purchase_status(o)]
    if as_of_date is None:  # §6: day after the latest gross-positive purchase; none -> nobody is scored
        dates = [o.ordered_on for o in purchases if o.total > 0]
        if not dates:
            return None, {}, merged
        as_of_date = max(dates) + timedelta(days=1)

    def to_base(o: Order, amount: Decimal) -> Decimal:
        # The seed's rates are to the configured base currency, which itself needs no rate.
        rate = Decimal(1) if o.currency in (None, base_currency) else seeds.rates[o.currency]
        return (amount * rate).quantize(_CENT, rounding=ROUND_HALF_UP)

    refunds: dict[str, Decimal] = defaultdict(Decimal)
    for o in accepted_orders:
        if o.refund_of is not None and o.ordered_on < as_of_date:
            refunds[o.refund_of] += to_base(o, o.total)

    window_start = date.min if scoring_window is None else minus(as_of_date, *scoring_window)
    per_customer: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for o in purchases:
        # §5: refund rows and the order's own refunded amount, each converted on its own
        net = max(to_base(o, o.total) + refunds[o.order_id] - to_base(o, o.refunded), Decimal("0.00"))
        if net > 0 and window_start <= o.ordered_on < as_of_date:
            per_customer[id_map.get(o.customer_id, o.customer_id)].append((o.ordered_on, net))
    return as_of_date, dict(per_customer), merged


def expected_customer_rfm(
    orders: Iterable[Row],
    customers: Iterable[Row],
    *,
    seeds_dir: Path,
    as_of_date: date | None = None,
    today: date,
    score_levels: int = 4,
    scoring_window: tuple[int, str] | None = None,
    tie_policy: str = "split",
    max_order_total: Decimal = Decimal(1000000),
    base_currency: str = "EUR",
    zone: str = "UTC",
) -> dict[str, dict]:
    """The `customer_rfm` rows the contract expects, keyed by (survivor or late-arriving) customer_id.

    `today` plays var `rfm_today`, `zone` var `rfm_reporting_time_zone`; `as_of_date=None` means the default of §6; `scoring_window` plays var
    rfm_scoring_window as (count, 'day' or 'month'), None for all history. Each value is a dict with
    customer_id, as_of_date, first_order_date, last_order_date, recency_days, frequency, monetary (Decimal),
    r_score, f_score, m_score, rfm_cell, segment_code, segment_name, email, first_name, country,
    accepts_marketing, is_known_customer.
    """
    seeds = Seeds.load(seeds_dir)
    as_of_date, per_customer, merged = valid_purchases(
        orders, customers, seeds=seeds, as_of_date=as_of_date, today=today, scoring_window=scoring_window,
        max_order_total=max_order_total, base_currency=base_currency, zone=zone)
    if as_of_date is None or not per_customer:
        return {}

    recency = {cid: (as_of_date - max(d for d, _ in p)).days for cid, p in per_customer.items()}
    frequency = {cid: len(p) for cid, p in per_customer.items()}  # order ids are unique after dedupe
    monetary = {cid: sum((a for _, a in p), Decimal("0.00")) for cid, p in per_customer.items()}
    r = scores(recency, descending=True, levels=score_levels, tie_policy=tie_policy)
    f = scores(frequency, descending=False, levels=score_levels, tie_policy=tie_policy)
    m = scores(monetary, descending=False, levels=score_levels, tie_policy=tie_policy)

    result: dict[str, dict] = {}
    for cid, purchases_of in per_customer.items():
        customer = merged.get(cid)
        segment = seeds.segment_maps.get(score_levels, {}).get((r[cid], f[cid], m[cid]))
        result[cid] = {
            "customer_id": cid,
            "as_of_date": as_of_date,
            "first_order_date": min(d for d, _ in purchases_of),
            "last_order_date": max(d for d, _ in purchases_of),
            "recency_days": recency[cid],
            "frequency": frequency[cid],
            "monetary": monetary[cid],
            "r_score": r[cid],
            "f_score": f[cid],
            "m_score": m[cid],
            "rfm_cell": f"{r[cid]}{f[cid]}{m[cid]}",
            "segment_code": segment,
            "segment_name": seeds.segment_names.get(segment) if segment else None,
            "email": customer.email if customer else None,
            "first_name": customer.first_name if customer else None,
            "country": customer.country if customer else None,
            "accepts_marketing": customer.accepts_marketing if customer else None,
            "is_known_customer": customer is not None,
        }
    return result


# ------------------------------------------------------------------------------------- retention (retention.md)


def _month(day: date) -> date:
    return day.replace(day=1)


def expected_segment_retention(
    orders: Sequence[Row], customers: Sequence[Row], *, seeds_dir: Path, scoring_dates: Sequence[date], today: date
) -> dict[tuple[date, str], tuple[int, int, Decimal]]:
    """rfm_segment_retention: (scoring date, segment code) -> (customers, retained customers, retained revenue)
    for every scoring date but the last and every segment. Members are the customers scored on the date; they
    are retained by a valid purchase on the next scoring date that is dated on or after this one."""
    segments = Seeds.load(seeds_dir).segment_names
    result: dict[tuple[date, str], tuple[int, int, Decimal]] = {}
    for scoring_date, next_date in zip(scoring_dates, scoring_dates[1:]):
        members = expected_customer_rfm(orders, customers, seeds_dir=seeds_dir, as_of_date=scoring_date, today=today)
        _, later, _ = valid_purchases(orders, customers, seeds=Seeds.load(seeds_dir), as_of_date=next_date, today=today)
        bought = {cid: sum((a for d, a in p if d >= scoring_date), Decimal("0.00")) for cid, p in later.items()
                  if any(d >= scoring_date for d, _ in p)}
        for segment in segments:
            ids = [cid for cid, row in members.items() if row["segment_code"] == segment]
            retained = [cid for cid in ids if cid in bought]
            result[(scoring_date, segment)] = (len(ids), len(retained), sum((bought[c] for c in retained), Decimal("0.00")))
    return result


def expected_cohort_retention(
    orders: Sequence[Row], customers: Sequence[Row], *, seeds_dir: Path, today: date
) -> dict[tuple[date, date], tuple[int, int, Decimal]]:
    """rfm_cohort_retention: (cohort month, activity month) -> (cohort customers, active customers, revenue),
    from the purchases valid on the default as_of_date; every month someone bought, from the cohort's on."""
    _, per_customer, _ = valid_purchases(orders, customers, seeds=Seeds.load(seeds_dir), as_of_date=None, today=today)
    cohort_of = {cid: _month(min(d for d, _ in p)) for cid, p in per_customer.items()}
    sizes = Counter(cohort_of.values())
    monthly: dict[tuple[date, date], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for cid, purchases in per_customer.items():
        for day, amount in purchases:
            monthly[(cohort_of[cid], _month(day))][cid] += amount
    months = {month for _, month in monthly}
    return {
        (cohort, month): (sizes[cohort], len(monthly.get((cohort, month), {})),
                          sum(monthly.get((cohort, month), {}).values(), Decimal("0.00")))
        for cohort in sizes for month in months if month >= cohort
    }


# ------------------------------------------------------------------------------- customer value (retention.md)


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def expected_customer_value(orders: Sequence[Row], customers: Sequence[Row], *, seeds_dir: Path, today: date) -> dict[str, dict]:
    """customer_clv's historical value and BTYD summary per customer, from the purchases valid on the default
    as_of_date: net_revenue, tenure_days, tenure_months, revenue_per_tenure_month, repeat_purchase_days,
    repeat_span_days, avg_repeat_day_value (None without a repeat day)."""
    as_of_date, per_customer, _ = valid_purchases(orders, customers, seeds=Seeds.load(seeds_dir), as_of_date=None, today=today)
    result: dict[str, dict] = {}
    for cid, purchases in per_customer.items():
        assert as_of_date is not None
        days: dict[date, Decimal] = defaultdict(Decimal)
        for day, amount in purchases:
            days[day] += amount
        first, last, before = min(days), max(days), as_of_date - timedelta(days=1)
        months = (before.year - first.year) * 12 + before.month - first.month + 1
        revenue = sum(days.values(), Decimal("0.00"))
        repeat = [amount for day, amount in days.items() if day > first]
        result[cid] = {
            "net_revenue": revenue,
            "tenure_days": (as_of_date - first).days,
            "tenure_months": months,
            "revenue_per_tenure_month": _rounded(revenue / months),
            "repeat_purchase_days": len(repeat),
            "repeat_span_days": (last - first).days,
            "avg_repeat_day_value": _rounded(sum(repeat) / len(repeat)) if repeat else None,
        }
    return result


# ------------------------------------------------------------------------ campaign flows (docs/campaigns.md)


@dataclass(frozen=True)
class Flow:
    flow_code: str
    segment_code: str
    starts_on: date
    holdout_share: Decimal
    cost_per_entrant: Decimal | None


def read_flows(seeds_dir: Path) -> list[Flow]:
    with (seeds_dir / "campaign_flows.csv").open(newline="", encoding="utf-8") as fh:
        return [Flow(r["flow_code"], r["segment_code"], date.fromisoformat(r["starts_on"]), Decimal(r["holdout_share"]),
                     Decimal(r["cost_per_entrant"]) if r.get("cost_per_entrant") else None)
                for r in csv.DictReader(fh)]


def holdout_bucket(flow_code: str, customer_id: str) -> int:
    """0..9999: the first 60 bits of md5('<flow_code>:<customer_id>') modulo 10000."""
    return int(hashlib.md5(f"{flow_code}:{customer_id}".encode("utf-8")).hexdigest()[:15], 16) % 10000


def is_holdout(flow_code: str, customer_id: str, share: Decimal) -> bool:
    return holdout_bucket(flow_code, customer_id) < share * 10000


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson's score interval of successes / trials."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


def newcombe_interval(c1: int, n1: int, c2: int, n2: int) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval (method 10, 1998) of c1/n1 - c2/n2; None when a group is empty."""
    if not n1 or not n2:
        return None
    p1, p2 = c1 / n1, c2 / n2
    (l1, u1), (l2, u2) = wilson_interval(c1, n1), wilson_interval(c2, n2)
    return p1 - p2 - math.hypot(p1 - l1, u2 - p2), p1 - p2 + math.hypot(u1 - p1, p2 - l2)


def _ratio(numerator: Decimal | int, denominator: int, places: str) -> Decimal | None:
    return None if not denominator else (Decimal(numerator) / denominator).quantize(Decimal(places), ROUND_HALF_UP)


def expected_flow_entrants(
    entries: Iterable[dict], flows: Sequence[Flow], purchases: dict[str, list[tuple[date, Decimal]]],
    as_of_date: date, window_days: int,
) -> dict[tuple[str, str], dict]:
    """campaign_flow_entrants by (flow_code, customer_id): each customer's first entry into the flow's segment
    from its start on (not a history_start entry), the holdout draw, and the purchases within the window."""
    first: dict[tuple[str, str], date] = {}
    for entry in entries:
        for flow in flows:
            if (entry["segment_code"] == flow.segment_code and entry["entered_on"] >= flow.starts_on
                    and entry["entry_kind"] != "history_start"):
                key = (flow.flow_code, entry["customer_id"])
                first[key] = min(first.get(key, entry["entered_on"]), entry["entered_on"])
    shares = {flow.flow_code: flow.holdout_share for flow in flows}
    result: dict[tuple[str, str], dict] = {}
    for (flow_code, customer_id), entered_on in first.items():
        window_end = entered_on + timedelta(days=window_days)
        bought = sorted((d, a) for d, a in purchases.get(customer_id, []) if entered_on <= d < window_end)
        result[flow_code, customer_id] = {
            "entered_on": entered_on,
            "cohort_start_date": entered_on.replace(day=1),
            "window_end_date": window_end,
            "is_measured": entered_on < as_of_date,
            "is_window_complete": window_end <= as_of_date,
            "is_holdout": is_holdout(flow_code, customer_id, shares[flow_code]),
            "is_converted": bool(bought),
            "first_conversion_date": bought[0][0] if bought else None,
            "conversion_orders": len(bought),
            "conversion_revenue": sum((a for _, a in bought), Decimal("0.00")),
        }
    return result


def expected_flow_results(
    entrants: dict[tuple[str, str], dict], flows: Sequence[Flow], min_group_size: int,
) -> dict[tuple[str, date | None], dict]:
    """campaign_flow_results by (flow_code, cohort_start_date), None for the flow's total row. The columns
    computed in floating point in SQL (uplifts, interval, incremental revenue, ROI) are floats here."""
    groups: dict[tuple[str, date | None], list[dict]] = {(flow.flow_code, None): [] for flow in flows}
    for (flow_code, _), entrant in entrants.items():
        if entrant["is_measured"]:
            groups.setdefault((flow_code, entrant["cohort_start_date"]), []).append(entrant)
            groups[flow_code, None].append(entrant)
    by_code = {flow.flow_code: flow for flow in flows}
    result: dict[tuple[str, date | None], dict] = {}
    for (flow_code, cohort), members in groups.items():
        treated = [m for m in members if not m["is_holdout"]]
        held = [m for m in members if m["is_holdout"]]
        n1, n2 = len(treated), len(held)
        c1, c2 = sum(m["is_converted"] for m in treated), sum(m["is_converted"] for m in held)
        r1 = sum((m["conversion_revenue"] for m in treated), Decimal("0.00"))
        r2 = sum((m["conversion_revenue"] for m in held), Decimal("0.00"))
        uplift = c1 / n1 - c2 / n2 if n1 and n2 else None
        interval = newcombe_interval(c1, n1, c2, n2)
        incremental = float(r1) - float(r2) * n1 / n2 if n2 else None
        cost = by_code[flow_code].cost_per_entrant
        campaign_cost = None if cost is None else cost * n1
        result[flow_code, cohort] = {
            "segment_code": by_code[flow_code].segment_code,
            "is_flow_total": cohort is None,
            "is_window_complete": all(m["is_window_complete"] for m in members),
            "entrants": len(members), "treated_entrants": n1, "holdout_entrants": n2,
            "treated_conversions": c1, "holdout_conversions": c2,
            "treated_conversion_rate": _ratio(c1, n1, "0.0001"), "holdout_conversion_rate": _ratio(c2, n2, "0.0001"),
            "treated_revenue": r1, "holdout_revenue": r2,
            "treated_revenue_per_entrant": _ratio(r1, n1, "0.01"), "holdout_revenue_per_entrant": _ratio(r2, n2, "0.01"),
            "absolute_uplift": uplift,
            "relative_uplift": uplift / (c2 / n2) if uplift is not None and c2 else None,
            "uplift_lower_bound": interval[0] if interval else None,
            "uplift_upper_bound": interval[1] if interval else None,
            "is_too_small_to_say": n1 < min_group_size or n2 < min_group_size,
            "incremental_revenue": incremental,
            "cost_per_entrant": cost,
            "campaign_cost": campaign_cost,
            "return_on_investment": (incremental - float(campaign_cost)) / float(campaign_cost)
            if incremental is not None and campaign_cost else None,
        }
    return result
