"""Retention marts (docs/retention.md) against the oracle, segment by segment and cohort by cohort: on the
demo build here, and on random data in test_hypothesis_build.py (assert_retention_matches_oracle)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from conftest import SEEDS_DIR, TODAY, DemoData, Workspace

from oracle import (Row, Seeds, expected_cohort_retention, expected_customer_value, expected_segment_retention, minus,
                    read_customers_csv, read_orders_csv, valid_purchases)


def share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def assert_retention_matches_oracle(ws: Workspace, orders: Sequence[Row], customers: Sequence[Row]) -> int:
    """Both retention marts equal the oracle's (default vars: the last twelve closed months); returns the
    number of retained customer-periods, so that callers can tell a vacuous comparison."""
    as_of_date, _, _ = valid_purchases(orders, customers, seeds=Seeds.load(SEEDS_DIR), as_of_date=None, today=TODAY)
    scoring_dates = ([] if as_of_date is None else
                     [minus(as_of_date.replace(day=1), months, "month") for months in range(11, -1, -1)])
    expected = expected_segment_retention(orders, customers, seeds_dir=SEEDS_DIR, scoring_dates=scoring_dates,
                                          today=TODAY)
    rows = ws.query("select as_of_date, segment_code, customers, retained_customers, retained_revenue,"
                    " retention_rate, next_as_of_date from rfm_segment_retention")
    assert {(row[0], row[1]): row[2:5] for row in rows} == expected
    # the windows chain, and the share is the ratio
    assert all(next_date == scoring_dates[scoring_dates.index(start) + 1] for start, *_, next_date in rows)
    assert all(rate == (share(retained, members) if members else None)
               for _, _, members, retained, _, rate, _ in rows)

    expected_cohorts = expected_cohort_retention(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY)
    cohorts = ws.query("select cohort_month, activity_month, cohort_customers, active_customers, revenue,"
                       " months_since_first_purchase, retention_rate from rfm_cohort_retention")
    assert {(row[0], row[1]): row[2:5] for row in cohorts} == expected_cohorts
    assert all(months == (activity.year - cohort.year) * 12 + activity.month - cohort.month
               and rate == share(active, size) for cohort, activity, size, active, _, months, rate in cohorts)
    # every scored customer is in exactly one cohort
    sizes = {(cohort, size) for cohort, _, size, *_ in cohorts}
    assert sum(size for _, size in sizes) == ws.query("select count(*) from customer_rfm")[0][0]
    return sum(retained for _, retained, _ in expected.values())


def test_retention_matches_oracle(demo_build: Workspace, demo_data: DemoData) -> None:
    retained = assert_retention_matches_oracle(
        demo_build, read_orders_csv(demo_data.orders), read_customers_csv(demo_data.customers))
    assert retained > 100


VALUE_COLUMNS = ("net_revenue", "tenure_days", "tenure_months", "revenue_per_tenure_month", "repeat_purchase_days",
                 "repeat_span_days", "avg_repeat_day_value")


def test_customer_value_matches_oracle(demo_build: Workspace, demo_data: DemoData) -> None:
    """customer_clv's value so far, customer by customer, and the summary's tenure figures per segment."""
    expected = expected_customer_value(read_orders_csv(demo_data.orders), read_customers_csv(demo_data.customers),
                                       seeds_dir=SEEDS_DIR, today=TODAY)
    rows = demo_build.query_dicts("select * from customer_clv")
    assert {row["customer_id"]: {c: row[c] for c in VALUE_COLUMNS} for row in rows} == expected
    segments: dict[str, list[dict]] = {}
    for row in rows:
        segments.setdefault(row["segment_code"], []).append(expected[row["customer_id"]])
    summary = {code: (tenure, rate) for code, tenure, rate in demo_build.query(
        "select segment_code, avg_tenure_months, revenue_per_tenure_month from rfm_segment_summary where customers > 0")}
    cent = Decimal("0.01")
    assert summary == {code: (
        (Decimal(sum(v["tenure_months"] for v in values)) / len(values)).quantize(cent, rounding=ROUND_HALF_UP),
        (sum(v["net_revenue"] for v in values) / sum(v["tenure_months"] for v in values)).quantize(
            cent, rounding=ROUND_HALF_UP),
    ) for code, values in segments.items()}
    assert sum(1 for v in expected.values() if v["repeat_purchase_days"]) > 100
