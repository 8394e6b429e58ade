"""The oracle on hand-made inputs (answers known by construction), then the dbt build against the oracle."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import DIRTY_VARS, MESSY_VARS, RFM_FIELDS, SEEDS_DIR, TODAY, DemoData, Workspace, assert_rfm_rows_match

import oracle
from oracle import Row, expected_customer_rfm, expected_rejects, ntile

# ------------------------------------------------------------------------------------------------ helpers

_order_seq = iter(range(1, 10**9))


def order(
    customer_id: str | None = "c1", total: str | None = "10.00", day: str | None = "2026-01-10", **kw: str | None
) -> Row:
    """One raw order; a fresh order_id unless given."""
    return {"order_id": kw.pop("order_id", f"o{next(_order_seq)}"), "customer_id": customer_id,
            "ordered_at": day, "order_total": total, **kw}


def customer(customer_id: str | None, **kw: str | None) -> Row:
    return {"customer_id": customer_id, **kw}


def rfm(orders: list[Row], customers: list[Row] | None = None, **kw) -> dict[str, dict]:
    return expected_customer_rfm(orders, customers or [], seeds_dir=SEEDS_DIR, today=TODAY, **kw)


def rejects(orders: list[Row], customers: list[Row] | None = None) -> list[tuple]:
    return expected_rejects(orders, customers or [], seeds_dir=SEEDS_DIR, today=TODAY)


def score_of(result: dict[str, dict], field: str) -> dict[str, int]:
    return {cid: row[field] for cid, row in result.items()}


# ----------------------------------------------------------------------------------------- parsing (§2)


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2024-02-29", True), ("2023-02-29", False), ("2024-01-01T10:00", True), ("2024-01-01 10:00:59", True),
     ("2024-01-01 10:00:00.123456", True), ("2024-01-01 10:00:00.123", True), ("2024-01-01 10:00:00.1234567", False), ("2024-01-01 24:00", False),
     ("2024-1-01", False), ("2024-01-01Z", False), ("2024-01-01 10:00+01:00", True), ("2024-01-01 10:00 -0500", True),
     ("2024-01-01T10:00Z", True), ("2024-01-01 10:00+24:00", False), ("2024-01-01 10:00+01:60", False), ("2024-01-01 10:00 Z", True),
     ("2024-01-01 10:00+1", False), ("2024-01-01 10:00+01:0", False), ("2024-01-01 10:00  +01", False), ("01/02/2024", False),
     ("2024-01-01\n", False), ("\u0662\u0660\u0662\u0664-01-01", False)],
)
def test_parse_timestamp(text: str, ok: bool) -> None:
    assert (oracle.parse_timestamp(text) is not None) is ok


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1.005", "1.01"), ("-1.005", "-1.01"), ("+3", "3.00"), ("0.125", "0.13"), ("1e3", None), ("1,000", None),
     (".5", "0.50"), ("5.", "5.00"), (".", None), ("€5", None), ("- 5", None)],
)
def test_parse_amount(text: str, cents: str | None) -> None:
    assert oracle.parse_amount(text) == (Decimal(cents) if cents else None)


def test_parse_bool_and_clean() -> None:
    assert [oracle.parse_bool(v) for v in ("TRUE", "y", "1", "No", "f", "0", "maybe", None)] == [
        True, True, True, False, False, False, None, None]
    assert [oracle.clean(v) for v in ("  a b ", "   ", "", None, "\tx\n")] == ["a b", None, None, None, "x"]


# --------------------------------------------------------------------------------------------- NTILE (§7)


def test_ntile_sizes() -> None:
    assert Counter(ntile(10, 4)) == {1: 3, 2: 3, 3: 2, 4: 2}
    assert ntile(10, 4) == sorted(ntile(10, 4))
    assert ntile(2, 4) == [1, 2]
    assert ntile(0, 4) == []


def test_fewer_customers_than_levels() -> None:
    result = rfm([order("a", "5", "2026-01-01"), order("b", "7", "2026-01-02"), order("c", "9", "2026-01-03")])
    assert score_of(result, "r_score") == {"a": 1, "b": 2, "c": 3}  # most recent is best
    assert score_of(result, "m_score") == {"a": 1, "b": 2, "c": 3}
    assert score_of(result, "f_score") == {"a": 1, "b": 2, "c": 3}  # equal frequency: customer_id decides


def test_all_equal_values_split_vs_shared() -> None:
    orders = [order(f"c{i}", "10", "2026-01-01") for i in range(8)]
    split, shared = rfm(orders), rfm(orders, tie_policy="shared")
    for field in ("r_score", "f_score", "m_score"):
        assert score_of(split, field) == {f"c{i}": i // 2 + 1 for i in range(8)}
        assert set(score_of(shared, field).values()) == {1}


def test_shared_takes_lowest_split_score_of_equal_values() -> None:
    # monetary 1,2,2,2,3,4,5,6 -> split 1,1,2,2,3,3,4,4 -> the three 2s share the lowest, 1.
    amounts = ["1", "2", "2", "2", "3", "4", "5", "6"]
    result = rfm([order(f"c{i}", a) for i, a in enumerate(amounts)], tie_policy="shared")
    assert [result[f"c{i}"]["m_score"] for i in range(8)] == [1, 1, 1, 1, 3, 3, 4, 4]


def test_customer_id_tie_break_is_byte_order() -> None:
    # 'B' (0x42) < 'a' (0x61) < 'b': uppercase first, as in DuckDB's binary collation.
    result = rfm([order(cid, "10") for cid in ("b", "a", "B", "A")])
    assert score_of(result, "m_score") == {"A": 1, "B": 2, "a": 3, "b": 4}


def test_score_levels_and_segment() -> None:
    orders = [order(f"c{i}", str(10 * (i + 1)), f"2026-01-{i + 1:02d}") for i in range(4)]
    orders.append(order("c3", "1", "2026-01-02"))
    result = rfm(orders)
    assert result["c3"]["rfm_cell"] == "444"
    assert (result["c3"]["segment_code"], result["c3"]["segment_name"]) == ("champions", "Champions")
    assert result["c0"]["rfm_cell"] == "111" and result["c0"]["segment_code"] == "lost"
    five = rfm([order(f"c{i}", "1") for i in range(5)], score_levels=5)
    assert sorted(r["m_score"] for r in five.values()) == [1, 2, 3, 4, 5]


def test_scoring_window_counts_purchases_from_as_of_date_less_the_window() -> None:
    """§6: with a window, a purchase counts when it is dated on or after as_of_date less the window."""
    orders = [order("old", "10", "2025-06-30"), order("edge", "10", "2025-07-01"), order("in", "10", "2025-07-02"),
              order("in", "5", "2026-06-30")]
    as_of = date(2026, 7, 1)
    assert sorted(rfm(orders, as_of_date=as_of)) == ["edge", "in", "old"]
    months = rfm(orders, as_of_date=as_of, scoring_window=(12, "month"))
    assert sorted(months) == ["edge", "in"] and months["in"]["frequency"] == 2
    assert sorted(rfm(orders, as_of_date=as_of, scoring_window=(365, "day"))) == ["edge", "in"]  # recency 365
    assert sorted(rfm(orders, as_of_date=as_of, scoring_window=(364, "day"))) == ["in"]


def test_month_steps_stop_at_the_end_of_the_month() -> None:
    assert oracle.minus(date(2026, 3, 31), 1, "month") == date(2026, 2, 28)
    assert oracle.minus(date(2024, 3, 31), 13, "month") == date(2023, 2, 28)
    assert oracle.minus(date(2026, 1, 15), 12, "month") == date(2025, 1, 15)
    assert oracle.minus(date(2026, 1, 15), 15, "day") == date(2025, 12, 31)


# ------------------------------------------------------------------------------------------- rejects (§3)


def test_reject_reasons_and_their_order() -> None:
    orders = [
        order(None, "x", None, order_id=None),  # missing_order_id beats everything else
        order("c1", "10", order_id="dup"), order("c2", "10", order_id="dup"),  # conflicting: both rejected
        order("c1", "5", status="Completed", order_id="same"),
        order(" c1 ", " 5 ", status=" completed", order_id=" same "),  # same after normalising
        order("c1", "1", "bad", order_id="copy"), order("c1", "1", "bad", order_id="copy"),  # kept copy fails later
        order(None, "1", "bad", order_id="nocust"),
        order("c1", "1", "2026-02-30", order_id="baddate"),
        order("c1", "1e3", order_id="badnum"),
        order("c1", "2000000", status="nope", order_id="absurd"),  # absurd before unknown_status
        order("c1", "1", status="nope", currency="XXX", order_id="status"),
        order("c1", "1", currency="xxx", day="2030-01-01", order_id="currency"),
        order("c1", "-1", "2026-11-26", order_id="future"),  # one day after rfm_today
        order("c1", "-1", order_id="negative"),
        order("c1", "0", refund_of_order_id="same", order_id="refund0"),
        order("c1", "-1", refund_of_order_id="absurd", order_id="orphan1"),  # names a rejected order
        order("c1", "-1", refund_of_order_id="r_ok", order_id="orphan2"),  # names a refund
        order("c1", "-1", refund_of_order_id="same", order_id="r_ok"),
        order("c1", "1", "2026-11-25", order_id="today_ok"),
    ]
    expected = [
        ("orders", None, "missing_order_id"),
        ("orders", "dup", "conflicting_duplicate"), ("orders", "dup", "conflicting_duplicate"),
        ("orders", "same", "duplicate_row"),
        ("orders", "copy", "duplicate_row"), ("orders", "copy", "unparseable_ordered_at"),
        ("orders", "nocust", "missing_customer_id"),
        ("orders", "baddate", "unparseable_ordered_at"),
        ("orders", "badnum", "non_numeric_order_total"),
        ("orders", "absurd", "absurd_order_total"),
        ("orders", "status", "unknown_status"),
        ("orders", "currency", "unknown_currency"),
        ("orders", "future", "future_dated"),
        ("orders", "negative", "negative_order_total"),
        ("orders", "refund0", "invalid_refund_amount"),
        ("orders", "orphan1", "orphan_refund"),
        ("orders", "orphan2", "orphan_refund"),
    ]
    assert Counter(rejects(orders)) == Counter(expected)


def test_absurd_limit_is_inclusive_and_after_rounding() -> None:
    orders = [order(total="1000000.004", order_id="edge"), order(total="-1000000.01", order_id="over")]
    assert rejects(orders) == [("orders", "over", "absurd_order_total")]


def test_customer_rejects() -> None:
    customers = [
        customer(None, email="x@y"),
        customer("k1", email="A@x.com"), customer("k1", email="a@x.com "),  # same content after normalising
        customer("k2", first_name="Ann"), customer("k2", first_name="ann"),  # first_name keeps its case
        customer("k3", created_at="yesterday"),
        customer("k4", created_at=None), customer("k5", created_at="  "),
        # every column is content, concern too (rules.md section 3)
        customer("k6", email="z@x", concern="wrinkles"), customer("k6", email="z@x", concern="radiance"),
    ]
    assert Counter(rejects([], customers)) == Counter([
        ("customers", None, "missing_customer_id"), ("customers", "k1", "duplicate_row"),
        ("customers", "k2", "conflicting_duplicate"), ("customers", "k2", "conflicting_duplicate"),
        ("customers", "k3", "unparseable_created_at"),
        ("customers", "k6", "conflicting_duplicate"), ("customers", "k6", "conflicting_duplicate"),
    ])


def test_latest_load_of_a_customer_wins() -> None:
    loaded = [
        {**customer("moved", email="old@x.com"), "load_id": 1}, {**customer("moved", email="new@x.com"), "load_id": 2},
        {**customer("fixed", email="a@x"), "load_id": 1}, {**customer("fixed", email="b@x"), "load_id": 1},
        {**customer("fixed", email="c@x"), "load_id": 2},  # a later single record resolves the conflict
        {**customer("clash", email="p@x"), "load_id": 1},
        {**customer("clash", email="q@x"), "load_id": 3}, {**customer("clash", email="r@x"), "load_id": 3},
        {**customer(None), "load_id": 1}, {**customer(None), "load_id": 2},  # never superseded
        {**customer(" moved "), "load_id": 1},  # the id as cleaned: an earlier record of `moved`
    ]
    assert Counter(rejects([], loaded)) == Counter([
        ("customers", "clash", "conflicting_duplicate"), ("customers", "clash", "conflicting_duplicate"),
        ("customers", None, "missing_customer_id"), ("customers", None, "missing_customer_id"),
    ])
    current = {row["customer_id"]: row["email"] for row in oracle.current_customer_records(loaded) if row["customer_id"]}
    assert current == {"moved": "new@x.com", "fixed": "c@x", "clash": "r@x"}
    # a superseded record's refusal still suppresses its address (§4: a refusal from any record wins)
    refusal = [{**customer("k", email="k@x", accepts_marketing="false"), "load_id": 1},
               {**customer("k", email="k@x", accepts_marketing="true"), "load_id": 2}]
    assert oracle.refused_emails(refusal) == {"k@x"}


# --------------------------------------------------------------------------------------------- merge (§4)


def test_merge_by_email() -> None:
    customers = [
        customer("m3", email=" Ann@X.com", first_name="Late", created_at=None, accepts_marketing="yes"),
        customer("m2", email="ann@x.com", first_name="Tie", created_at="2025-01-01", country="fr",
                 accepts_marketing="true"),
        customer("m1", email="ANN@x.com", first_name="First", created_at="2025-01-01 00:00", country="de",
                 accepts_marketing="no"),
        customer("solo", first_name="NoEmail", accepts_marketing="1"),
        customer("solo2", first_name="NoEmail", accepts_marketing="1"),
    ]
    orders = [order("m3", "10"), order("m2", "20"), order("solo", "5"), order("solo2", "5")]
    result = rfm(orders, customers)
    assert set(result) == {"m1", "solo", "solo2"}  # m1 wins the created_at tie on customer_id
    m1 = result["m1"]
    assert (m1["frequency"], m1["monetary"], m1["email"], m1["first_name"], m1["country"]) == (
        2, Decimal("30.00"), "ann@x.com", "First", "DE")
    assert m1["accepts_marketing"] is False and m1["is_known_customer"] is True


def test_merge_consent_never_widened() -> None:
    def consent(*values: str | None) -> bool | None:
        customers = [customer(f"k{i}", email="e@x", created_at=f"2025-01-0{i + 1}", accepts_marketing=v)
                     for i, v in enumerate(values)]
        return rfm([order("k1", "10")], customers)["k0"]["accepts_marketing"]

    assert consent("true", "false") is False
    assert consent("true", None) is True
    assert consent(None, "true") is None  # the survivor's own value: a merge never grants consent
    assert consent("maybe", "yes") is None


def test_null_created_at_counts_as_latest() -> None:
    customers = [customer("a", email="e@x"), customer("b", email="e@x", created_at="2030-01-01")]
    assert set(rfm([order("a", "1")], customers)) == {"b"}


def test_late_arriving_and_rejected_customers_scored_as_unknown() -> None:
    customers = [customer("known", email="k@x", first_name="K", accepts_marketing="y"),
                 customer("bad", created_at="never")]
    result = rfm([order("known"), order("ghost"), order("bad")], customers)
    assert result["known"]["is_known_customer"] is True and result["known"]["accepts_marketing"] is True
    for cid in ("ghost", "bad"):
        row = result[cid]
        assert row["is_known_customer"] is False
        assert (row["email"], row["first_name"], row["country"], row["accepts_marketing"]) == (None,) * 4


# ----------------------------------------------------------------------------- amounts and refunds (§5, §6)


def test_refunds_reduce_net_and_floor_at_zero() -> None:
    orders = [
        order("a", "100", "2026-01-01", order_id="A1"),
        order("x", "-30", "2026-01-02", refund_of_order_id="A1"),  # the refund's own customer does not matter
        order("a", "-20.5", "2026-01-03", refund_of_order_id="A1"),
        order("b", "50", "2026-01-10", order_id="B1"),
        order("b", "-80", "2026-01-10", refund_of_order_id="B1"),  # net floored at 0: not a purchase
        order("b", "5", "2026-01-01", status="refunded"),  # whole-order refund status: counts for nothing
        order("c", "7", "2026-01-20", status="pending"),
    ]
    result = rfm(orders)
    assert set(result) == {"a"}
    assert result["a"]["monetary"] == Decimal("49.50")
    # B1 (gross > 0, purchase status) sets as_of_date though its net is zero; the pending order does not.
    assert result["a"]["as_of_date"] == date(2026, 1, 11)


def test_refund_after_as_of_date_does_not_count() -> None:
    orders = [order("a", "100", "2026-01-01", order_id="A1"),
              order("a", "-40", "2026-03-01", refund_of_order_id="A1")]
    assert rfm(orders, as_of_date=date(2026, 2, 1))["a"]["monetary"] == Decimal("100.00")
    # as_of_date is the start of its day (rules.md section 6): a refund dated on it does not count yet
    assert rfm(orders, as_of_date=date(2026, 3, 1))["a"]["monetary"] == Decimal("100.00")
    assert rfm(orders, as_of_date=date(2026, 3, 2))["a"]["monetary"] == Decimal("60.00")


def test_currency_conversion_rounds_half_up() -> None:
    orders = [order("a", "100", currency="usd"), order("b", "0.50", currency="GBP"), order("c", "3.333"),
              order("d", "10", currency="EUR")]
    result = rfm(orders)
    assert {cid: r["monetary"] for cid, r in result.items()} == {
        "a": Decimal("92.00"), "b": Decimal("0.59"), "c": Decimal("3.33"), "d": Decimal("10.00")}


def test_base_currency_needs_no_rate_and_others_use_the_seed_as_is() -> None:
    """The seed's rates are to the configured base: changing the base means re-basing the seed."""
    result = rfm([order("a", "92", currency="JPY"), order("b", "92", currency="GBP"), order("c", "92")],
                 base_currency="JPY")
    assert [result[c]["monetary"] for c in "abc"] == [Decimal("92.00"), Decimal("107.64"), Decimal("92.00")]


def test_metrics_and_as_of_date_default() -> None:
    orders = [
        order("a", "10", "2026-01-01 23:59:59"), order("a", "15", "2026-01-20T08:00"),
        order("b", "5", "2026-02-01"),
        order("b", "99", "2026-11-26"),  # future-dated: rejected, never moves as_of_date
        order("b", "0", "2026-03-01"),  # zero total: not a purchase, does not move as_of_date
    ]
    result = rfm(orders)
    a = result["a"]
    assert a["as_of_date"] == date(2026, 2, 2)
    assert (a["first_order_date"], a["last_order_date"], a["recency_days"], a["frequency"], a["monetary"]) == (
        date(2026, 1, 1), date(2026, 1, 20), 13, 2, Decimal("25.00"))
    assert result["b"]["recency_days"] == 1


def test_explicit_as_of_date_scores_the_past() -> None:
    orders = [order("a", "10", "2026-01-01"), order("a", "10", "2026-03-01"), order("b", "5", "2026-05-01"),
              order("b", "5", "2026-02-01")]  # dated on as_of_date: not counted (rules.md section 6)
    result = rfm(orders, as_of_date=date(2026, 2, 1))
    assert set(result) == {"a"}
    assert (result["a"]["frequency"], result["a"]["recency_days"]) == (1, 31)


def test_nobody_scored_without_purchases() -> None:
    assert rfm([order("a", "5", status="cancelled"), order("b", "-5")]) == {}


# -------------------------------------------------------------------------------------- end to end vs dbt


def oracle_rfm(data: DemoData, **kw) -> dict[str, dict]:
    return expected_customer_rfm(oracle.read_orders_csv(data.orders), oracle.read_customers_csv(data.customers),
                                 seeds_dir=SEEDS_DIR, today=TODAY, **kw)


def assert_same_rfm(ws: Workspace, expected: dict[str, dict]) -> None:
    assert_rfm_rows_match(ws.query_dicts(f"select {', '.join(RFM_FIELDS)} from customer_rfm"), expected)


def assert_same_rejects(ws: Workspace, expected_list: list[tuple]) -> None:
    """data_quality_rejects as a multiset of (source, raw_key, reason): the model defines no row order."""
    expected = Counter(expected_list)
    actual = Counter(ws.query("select source, raw_key, rejection_reason from data_quality_rejects"))
    assert expected, "the oracle rejected nothing: the comparison would be vacuous"
    assert actual == expected, (
        f"only in dbt: {sorted((actual - expected).items(), key=str)[:10]}\n"
        f"only in oracle: {sorted((expected - actual).items(), key=str)[:10]}"
    )


def test_mart_column_types(demo_build: Workspace) -> None:
    """Decimal and date columns must come back as such, or the exact comparison would be meaningless."""
    row = demo_build.query_dicts(f"select {', '.join(RFM_FIELDS)} from customer_rfm limit 1")[0]
    assert isinstance(row["monetary"], Decimal), row
    assert all(type(row[f]) is date for f in ("as_of_date", "first_order_date", "last_order_date")), row


def test_demo_split_matches_oracle(demo_build: Workspace, demo_data: DemoData) -> None:
    assert_same_rfm(demo_build, oracle_rfm(demo_data))


def test_demo_shared_matches_oracle(demo_build: Workspace, demo_data: DemoData, tmp_path: Path) -> None:
    ws = demo_build.clone(tmp_path)
    ws.dbt("run", "--select", "+customer_rfm", vars={"rfm_tie_policy": "shared"})
    expected = oracle_rfm(demo_data, tie_policy="shared")
    assert expected != oracle_rfm(demo_data), "no ties in the demo: this test would not test the policy"
    assert_same_rfm(ws, expected)


def test_demo_past_as_of_date_matches_oracle(demo_build: Workspace, demo_data: DemoData, tmp_path: Path) -> None:
    default = next(iter(oracle_rfm(demo_data).values()))["as_of_date"]
    past = default - timedelta(days=120)
    ws = demo_build.clone(tmp_path)
    ws.dbt("run", "--select", "+customer_rfm", vars={"as_of_date": past.isoformat()})
    assert_same_rfm(ws, oracle_rfm(demo_data, as_of_date=past))


def test_dirty_demo_matches_oracle(dirty_demo_data: DemoData, tmp_path: Path) -> None:
    data = dirty_demo_data
    ws = Workspace(tmp_path / "ws")
    ws.load(data.orders, data.customers)
    ws.dbt("build", vars=DIRTY_VARS)
    orders, customers = oracle.read_orders_csv(data.orders), oracle.read_customers_csv(data.customers)
    assert_same_rejects(ws, expected_rejects(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY))
    assert_same_rfm(ws, oracle_rfm(data))


def messy_rows(rnd: random.Random, n_orders: int = 400, n_customers: int = 80) -> tuple[list[Row], list[Row]]:
    """Random raw rows from pools of edge cases (case, spaces, merges, refunds, currencies, bad values).

    The pools leave out inputs whose reading of rules.md is still open (see the oracle report): tabs and
    other non-space whitespace, 1-5 digit fractions of a second, '.5' and '5.'.
    """
    ids = [f"C{i:03d}" for i in range(n_customers)] + ["c001", " C002 ", "Z9", "\u00e91"]

    def stamp() -> str:
        d = f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        return rnd.choice([d, d, d, f"{d} 10:11", f"{d}T10:11:12", f"{d} 10:11:12.123456", f" {d} ", "",
                           "2026-02-30", "2026-11-26", "2026-11-25 23:59:59", "junk", f"{d}Z", "2026-13-01"])

    def amount() -> str:
        return rnd.choice([f"{rnd.randint(0, 50000) / 100}", f"{rnd.randint(0, 5000)}.{rnd.randint(0, 999):03d}",
                           "-5", "+12.5", "1e3", "", "abc", "1,000", "0012.50", "1000000.004", "1000000.01",
                           "-0.004", "0", " 12.345 ", "2.675"])

    customers: list[Row] = [{
        "customer_id": None if rnd.random() < 0.03 else rnd.choice(ids) if rnd.random() < 0.2 else ids[i % len(ids)],
        "email": rnd.choice(["a@x.com", " A@X.com", "b@x.com", f"u{i}@x.com", "", None]),
        "first_name": rnd.choice(["Ann", "ann", " Bob", "", None]),
        "created_at": rnd.choice(["2025-01-01", "2025-01-01 00:00", "2024-06-01T12:00", "bad", "2025-02-29",
                                  f"2025-03-{rnd.randint(1, 28):02d}", None]),
        "country": rnd.choice(["fr", "DE", " us", None]),
        "accepts_marketing": rnd.choice(["true", "FALSE", "y", "N", "1", "0", "maybe", "", " Yes ", None]),
    } for i in range(n_customers + 10)]
    orders: list[Row] = []
    for i in range(n_orders):
        refund = rnd.random() < 0.15
        orders.append({
            "order_id": f"O{i}" if rnd.random() > 0.1 else rnd.choice([f"O{rnd.randint(0, i)}", None, f" O{i} "]),
            "customer_id": None if rnd.random() < 0.03 else rnd.choice([*ids, "ghost1", "ghost2"]),
            "ordered_at": stamp(),
            "order_total": rnd.choice([f"-{rnd.randint(0, 8000) / 100}", "5", "-0.00"]) if refund else amount(),
            "status": rnd.choice([None, None, "completed", "Shipped", " delivered ", "pending", "refunded", "bogus",
                                  ""]),
            "currency": rnd.choice([None, None, "EUR", "usd", " GBP", "chf", "JPY", ""]),
            "refund_of_order_id": rnd.choice([f"O{rnd.randint(0, n_orders)}", "nope", f" O{rnd.randint(0, i)}"])
            if refund else None,
        })
        if rnd.random() < 0.05:
            orders.append(dict(orders[-1]))
    return orders, customers


@pytest.mark.parametrize("seed", [1, 2])
def test_messy_rows_match_oracle(seed: int, tmp_path: Path) -> None:
    orders, customers = messy_rows(random.Random(seed))
    ws = Workspace(tmp_path)
    ws.load(orders, customers)
    ws.dbt("build", vars={**MESSY_VARS, "rfm_tie_policy": "shared"})
    assert_same_rejects(ws, expected_rejects(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY))
    assert_same_rfm(ws, expected_customer_rfm(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY,
                                              tie_policy="shared"))
