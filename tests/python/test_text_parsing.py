"""DuckDB's fast text parsing gives exactly the portable results, value for value.

`macros/cross_db/rfm_text.sql` has a portable implementation (`default__`, used by PostgreSQL and Spark) and
a DuckDB one (`duckdb__`) of `rfm_clean_text`, `rfm_parse_timestamp`, `rfm_is_decimal_text`, `rfm_parse_money`
and `rfm_normalize_email`. The SQL of both is rendered once by dbt (`dbt compile --inline`), then evaluated
side by side by plain DuckDB over a large adversarial corpus: systematic cross products of fragments (dates
on and off the calendar, times, fractions, zones, whitespace of every kind, amounts with signs, leading
zeros, 15/16/17 integer digits, rounding at .005, exponents, separators, words, addresses in upper case,
full-width forms and with invisible characters), exhaustive ranges generated in SQL (every year 0000-9999 x
month 00-13 x the days that matter, every HH:MM:SS up to 25:61:61, a million amounts around the rounding
points), and hypothesis batches. Any difference fails, naming the first
differing inputs. The portable SQL is also compared with the Python oracle on the Python-made corpus.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal, localcontext

import duckdb
import pytest
from conftest import Workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import clean, normalise_email, parse_amount, parse_timestamp

PARSERS = ("rfm_parse_timestamp", "rfm_is_decimal_text", "rfm_parse_money")
MACROS = ("rfm_clean_text", *PARSERS, "rfm_normalize_email")
NEW_YORK = "America/New_York"
MARK = "/*@@*/"

# ------------------------------------------------------------------------------------------ the corpus

# The four characters the trim removes, and look-alikes it must keep (Unicode spaces, BOM, controls).
TRIMMED = (" ", "\t", "\n", "\r")
KEPT_SPACES = ("\u00a0", "\u2003", "\u3000", "\u2028", "\u0085", "\u200b", "\ufeff", "\v", "\f", "\x1c", "\x00")
PADS = ("", *TRIMMED, "\r\n", " \t ", "\n\n", *KEPT_SPACES, "\u00a0 ", " \u00a0")

YEARS = ("0000", "0001", "0099", "0999", "1000", "1582", "1600", "1700", "1800", "1900", "1970", "2000", "2001",
         "2004", "2023", "2024", "2100", "2400", "9999", "10000", "99999", "202", "-2024", "+2024", "２０２４",
         "２024", "20 4", "2O24")
MONTHS = ("00", "01", "02", "03", "04", "06", "09", "11", "12", "13", "1", "001", "1 ", "٠١")
DAYS = ("00", "01", "09", "28", "29", "30", "31", "32", "1", "001", "3l")
TIMES = ("", " ", "T", "t", " 00:00", "T00:00", "t00:00", "  00:00", " 23:59", " 24:00", " 00:60", " 0:00", " 00:0",
         " 12:00:00", "T12:00:00", " 23:59:59", " 24:00:00", " 23:59:60", " 23:60:00", " 12:00:00.", " 12:00:00.1",
         " 12:00:00.12", " 12:00:00.123", " 12:00:00.1234", " 12:00:00.12345", " 12:00:00.123456",
         " 12:00:00.1234567", " 12:00:00.000000", " 12:00:00.100000", " 12:00:00,5", " 12:00:00Z", "T12:00:00Z",
         " 12:00:00+01:00", " 12:00:00+01", " 12:00:00 UTC", " 12:00:00 (BC)", " (BC)", " 12:00:00 ", "T12",
         " 12", " 12:00:00:00", " 12:00:00.5Z", " 1:02:03", " 12:00:00.１",
         # zones: offsets that move the date (and the year past 0001 or 9999), and near misses
         " 00:00:00+00:01", " 23:59:59-00:01", "T00:30+01:00", "T23:30-05", " 12:00:00 -0500", " 12:00 Z",
         " 12:00:00+23:59", " 12:00:00-23:59", " 12:00:00+24:00", " 12:00:00+01:60", " 12:00:00+1", " 12:00:00+010",
         " 12:00:00+01:0", " 12:00:00z", " 12:00:00  +01", " 12:00:00 UTC+01", " 12:00:00+01:00:00", " 12:00:00Z+01")
SIGNS = ("", "+", "-", "--", "+-", " ", "−")
INTEGERS = ("", "0", "00", "007", "1", "5", "12", "99", "100", "1000000", "0000000000000000000001",
            "1" + "0" * 13, "9" * 14, "1" + "0" * 14, "9" * 15, "0" + "9" * 15, "000" + "9" * 15, "1" + "0" * 15,
            "9" * 16, "1" + "0" * 16, "9" * 17, "9" * 20, "1_000", "1,000", "1 000", "１２", "١٢")
POINTS = ("", ".", ",", "..")
FRACTIONS = ("", "0", "5", "00", "01", "004", "005", "0049", "0050", "0051", "015", "025", "994", "995", "999",
             "4999999", "5000000", "9999999", "99", "1" * 20, "5e1", "_5")
TAILS = ("", "e5", "E-2", "e", "_", " ", "x", "%", "d", "f", "€", "\u00a0", "e+0")
WORDS = ("", "nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "-Infinity", "infinity", "-infinity", "epoch",
         "now", "today", "tomorrow", "allballs", "null", "NULL", "true", "0x10", "0b1", "1e5", "1E5", "1e-5", "1.5e3",
         ".", "-", "+", "-.", "+.", ".e1", "1..2", "1.2.3", "--1", "٣", "½", "²", "Ⅻ", "é", "🙂", "a\u0301",
         " \u0301", "\u0301 ", "T", " T ", "2024-01-01 00:00:00 ", "\t2024-02-29\r\n", "2024-02-29T", "2024-02-29 ",
         "2024-02-29 T00:00", "2024-02-29T 00:00", "2024/02/29", "2024.02.29", "20240229", "2024-02-29 00:00:00.0",
         "29-02-2024", "2024-W09-4", "2024-060", "2024-1-5 1:2:3")
# Addresses: the ASCII fast path (printable, any case) and what only the translation handles.
EMAILS = ("ann@example.com", "Ann.Lee+X@Example.COM", "a_b-c'd\\e!#$%&*/=?^`{|}~@x.io", "ＡＮＮ＠ｅｘａｍｐｌｅ．ｃｏｍ",
          "ann＠example.com", "an n@example.com", "ann@exam\u200bple.com", "\ufeffann@example.com", "ann@ex\u00a0ample.com",
          "ann@example.com\u3000", "Ä@example.com", "ann\x7f@example.com", "ann\x00@x.io", "'",
          "＇", "＼", "~", " ")


def _wrap(values: Sequence[str]) -> Iterator[str]:
    for value in values:
        for before, after in itertools.product(PADS, repeat=2):
            yield before + value + after


# Around the daylight saving time changes of New York (2024-03-10 07:00 UTC, 2024-11-03 06:00 UTC) and Paris.
DST = tuple(
    day + time + zone
    for day, time in (("2024-03-10", "T06:59:59.999999"), ("2024-03-10", "T07:00:00"), ("2024-11-03", " 05:59:59"),
                      ("2024-11-03", " 06:00:00"), ("2024-03-31", " 00:59:59"), ("2024-03-31", " 01:00:00"),
                      ("2024-03-10", " 02:30:00"), ("2024-11-03", " 01:30:00"))
    for zone in ("", "Z", "+00", "-05:00", "-0400", "+01:00")
)


def python_corpus() -> list[str]:
    """Every value once, in a stable order."""
    timestamps = (y + "-" + m + "-" + d + t for y, m, d, t in itertools.product(YEARS, MONTHS, DAYS, TIMES))
    amounts = (s + i + p + f + t for s, i, p, f, t in itertools.product(SIGNS, INTEGERS, POINTS, FRACTIONS, TAILS))
    wrapped = _wrap([*WORDS, "2024-02-29 12:00:00", "2023-02-29", "12.345", "-0.5", ".5", "5.", "C001", "abc def", *EMAILS])
    return list(dict.fromkeys(itertools.chain(timestamps, amounts, wrapped, WORDS, DST)))


# Exhaustive ranges, generated by DuckDB itself (several million rows).
SQL_CORPUS = """
    with
    years as (select lpad(cast(range as varchar), 4, '0') as y from range(0, 10000)),
    months as (select lpad(cast(range as varchar), 2, '0') as m from range(0, 14)),
    days as (select unnest(['00', '01', '28', '29', '30', '31', '32']) as d),
    dates as (select y || '-' || m || '-' || d as v from years, months, days),
    times as (
        select lpad(cast(h.range as varchar), 2, '0') || ':' || lpad(cast(mi.range as varchar), 2, '0')
            || ':' || lpad(cast(s.range as varchar), 2, '0') as t
        from range(0, 26) as h, range(0, 62) as mi, range(0, 62) as s
    ),
    amounts as (select range as i from range(-200000, 200001))
    -- every year x month 00-13 x the days that decide validity, as a date and with a time
    select v from dates
    union all select v || ' 23:59:59' from dates where v like '%-02-2_' or v like '%-__-3_'
    union all select v || 'T00:00' from dates where v like '%-02-29'
    -- every HH:MM:SS up to 25:61:61, with and without a fraction, and every HH:MM
    union all select '2024-02-29 ' || t from times
    union all select '2023-12-31T' || t || '.999999' from times where t like '%:59'
    union all select '2023-12-31 ' || left(t, 5) from times where t like '%:00'
    -- amounts: three decimals (rounding at .005), two (the canonical form), one, none, with a plus sign
    union all select case when i < 0 then '-' else '' end || cast(abs(i) // 1000 as varchar) || '.'
        || lpad(cast(abs(i) % 1000 as varchar), 3, '0') from amounts
    union all select case when i < 0 then '-' else '' end || cast(abs(i) // 100 as varchar) || '.'
        || lpad(cast(abs(i) % 100 as varchar), 2, '0') from amounts
    union all select cast(i as varchar) || '.' || right(cast(i as varchar), 1) from amounts where i % 11 = 0
    union all select '+' || cast(i as varchar) from amounts where i % 13 = 0 and i >= 0
    -- around the 15-integer-digit bound
    union all select cast(999999999999000 + i as varchar) || '.' || lpad(cast(abs(i) % 1000 as varchar), 3, '0')
        from amounts where i between -2000 and 2000
    union all select cast(-999999999999000 - i as varchar) || '.99' from amounts where i between -2000 and 2000
    -- every offset sign x hour 00-25 x a few minutes, with and without a colon, on days that cross a year
    union all select v || sign || lpad(cast(h.range as varchar), 2, '0') || sep || m
        from (select unnest(['2024-02-29 23:59:59', '0001-01-01 00:00', '9999-12-31T23:59:59.999999',
                             '2023-12-31 12:00']) as v),
            (select unnest(['+', '-']) as sign), range(0, 26) as h, (select unnest([':', '']) as sep),
            (select unnest(['00', '30', '45', '59', '60']) as m)
"""


# ------------------------------------------------------------------------------------------- rendering


def _render(ws: Workspace, vars: dict | None = None) -> dict[str, str]:
    """SQL of every implementation applied to column `v`, keyed 'default__x', 'duckdb__x' and 'x'."""
    names = [impl + macro for macro in MACROS for impl in ("default__", "duckdb__", "")]
    inline = "select\n" + f"\n{MARK},\n".join(f"{{{{ {name}('v') }}}}" for name in names)
    out = ws.dbt("compile", "--inline", inline, "--output", "json", "--quiet", vars=vars).stdout
    compiled = json.loads(out[out.index("{"):])["compiled"]
    parts = compiled.strip().removeprefix("select").split(f"\n{MARK},\n")
    assert len(parts) == len(names), compiled
    return dict(zip(names, (p.strip() for p in parts)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The macros with the default reporting time zone, UTC."""
    return _render(Workspace(tmp_path_factory.mktemp("text_parsing")))


@pytest.fixture(scope="module")
def rendered_new_york(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The macros with another reporting time zone: converting needs the time zone database."""
    return _render(Workspace(tmp_path_factory.mktemp("text_parsing_ny")), {"rfm_reporting_time_zone": NEW_YORK})


def test_duckdb_dispatches_to_the_fast_variants(rendered: dict[str, str]) -> None:
    for macro in MACROS:
        assert rendered[macro] == rendered["duckdb__" + macro]
        assert rendered[macro] != rendered["default__" + macro]


# -------------------------------------------------------------------------------------------- checking


def _connect(values: Sequence[str | None] | None = None, sql: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 2})
    con.execute("create table corpus (v varchar)")
    if values is not None:
        con.execute("insert into corpus select unnest(?::varchar[])", [list(values)])
    if sql is not None:
        con.execute(f"insert into corpus {sql}")
    return con


def _differences(
    con: duckdb.DuckDBPyConnection, rendered: dict[str, str], macro: str, *, cleaned_too: bool
) -> tuple[int, list, dict[str, int]]:
    """(number of inputs where default__ and duckdb__ differ, the first few, counts of the portable results)."""
    portable, fast = rendered["default__" + macro], rendered["duckdb__" + macro]
    types = con.execute(f"select typeof({portable}), typeof({fast}) from corpus limit 1").fetchone()
    assert types is None or types[0] == types[1], f"{macro}: {types}"
    # The raw values, and (for the parsers) the same values cleaned, which is what the staging models pass.
    inputs = "select v from corpus"
    if cleaned_too:
        inputs += f" union all select {rendered['default__rfm_clean_text']} from corpus"
    found = con.execute(
        f"""
        select
            count(*) filter (where portable is distinct from fast),
            list(struct_pack(v, portable := cast(portable as varchar), fast := cast(fast as varchar)) order by v)
                filter (where portable is distinct from fast)[1:5],
            count(*),
            count(portable),
            count(*) filter (where cast(portable as varchar) = 'true')
        from (select v, {portable} as portable, {fast} as fast from ({inputs}))
        """
    ).fetchone()
    return found[0], found[1] or [], {"rows": found[2], "non_null": found[3], "true": found[4]}


def _assert_same(
    con: duckdb.DuckDBPyConnection, rendered: dict[str, str], macros: Sequence[str] = MACROS
) -> dict[str, dict[str, int]]:
    stats = {}
    for macro in macros:
        count, first, stats[macro] = _differences(con, rendered, macro, cleaned_too=macro != "rfm_clean_text")
        assert count == 0, f"{macro}: {count} inputs differ between default__ and duckdb__, first: {first}"
    return stats


def test_same_results_on_the_fragment_corpus(rendered: dict[str, str]) -> None:
    corpus = python_corpus()
    assert len(corpus) > 150_000
    stats = _assert_same(_connect([*corpus, None]), rendered)
    # The corpus exercises both outcomes of every macro.
    assert stats["rfm_parse_timestamp"]["non_null"] > 10_000
    assert stats["rfm_parse_money"]["non_null"] > 5_000
    assert stats["rfm_is_decimal_text"]["true"] > stats["rfm_parse_money"]["non_null"]
    for macro in MACROS:
        accepted = stats[macro]["true" if macro == "rfm_is_decimal_text" else "non_null"]
        assert stats[macro]["rows"] - accepted > 20, macro


def test_same_results_on_exhaustive_ranges(rendered: dict[str, str]) -> None:
    con = _connect(sql=SQL_CORPUS)
    assert con.execute("select count(*) from corpus").fetchone()[0] > 1_000_000
    stats = _assert_same(con, rendered, PARSERS)  # no whitespace or addresses here: covered above
    assert stats["rfm_parse_timestamp"]["non_null"] > 500_000
    assert stats["rfm_parse_money"]["non_null"] > 200_000


def _oracle_money(value: str | None) -> Decimal | None:
    """The oracle's amount as the staging SQL keeps it: null beyond 15 integer digits (then rejected as absurd)."""
    with localcontext(prec=200):
        amount = parse_amount(value)
    if amount is None or len(value.lstrip("+-").partition(".")[0].lstrip("0")) > 15:
        return None
    return amount


def test_portable_sql_matches_the_oracle(rendered: dict[str, str]) -> None:
    """The portable SQL itself follows docs/rules.md as the Python oracle reads it (on the fragment corpus)."""
    con = _connect(python_corpus())
    macros = ("rfm_clean_text", "rfm_parse_timestamp", "rfm_parse_money", "rfm_normalize_email")
    oracles = (clean, parse_timestamp, _oracle_money, normalise_email)
    columns = ", ".join(rendered["default__" + m] for m in macros)
    mismatches: list[tuple] = []
    for value, *found in con.execute(f"select v, {columns} from corpus").fetchall():
        expected = [oracle(value) for oracle in oracles]
        if found != expected:
            mismatches.append((value, found, expected))
    assert not mismatches, f"{len(mismatches)} values differ from the oracle, first: {mismatches[:5]}"
    zoned = sum(1 for value in DST if parse_timestamp(value) is not None)
    assert zoned == len(DST), "every DST value parses"


def test_another_reporting_time_zone(rendered_new_york: dict[str, str]) -> None:
    """With a reporting zone other than UTC the DuckDB variant still equals the portable one, and both the
    oracle (zoneinfo), daylight saving time included; values with a zone move, values without one do not."""
    con = _connect(python_corpus())
    _assert_same(con, rendered_new_york, ("rfm_parse_timestamp",))
    ts = rendered_new_york["default__rfm_parse_timestamp"]
    mismatches = [
        (value, got, parse_timestamp(value, NEW_YORK))
        for value, got in con.execute(f"select v, {ts} from corpus").fetchall()
        if got != parse_timestamp(value, NEW_YORK)
    ]
    assert not mismatches, f"{len(mismatches)} values differ from the oracle, first: {mismatches[:5]}"
    # worked out by hand: EST is UTC-5, EDT UTC-4; clocks jump 02:00 -> 03:00 on 03-10, 02:00 -> 01:00 on 11-03
    by_hand = {
        "2024-03-10T06:59:59.999999Z": datetime(2024, 3, 10, 1, 59, 59, 999999),
        "2024-03-10T07:00:00Z": datetime(2024, 3, 10, 3, 0),
        "2024-11-03 05:59:59+00": datetime(2024, 11, 3, 1, 59, 59),
        "2024-11-03 06:00:00+00": datetime(2024, 11, 3, 1, 0),
        "2024-11-03 06:00:00+01:00": datetime(2024, 11, 3, 1, 0),
        "2024-03-10 02:30:00": datetime(2024, 3, 10, 2, 30),
        "2024-01-01 03:00:00+01:00": datetime(2023, 12, 31, 21, 0),
    }
    found = dict(con.execute(f"select v, {ts} from (select unnest(?::varchar[]) as v)", [list(by_hand)]).fetchall())
    assert found == by_hand


# ------------------------------------------------------------------------------------------ hypothesis

_FRAGMENTS = st.sampled_from(
    [*TRIMMED, *KEPT_SPACES, "0", "1", "2", "9", "-", "+", ".", ":", "T", "e", "_", "2024", "02", "29", "12", "59",
     "60", "24", "0000", "000", "999999999999999", "2024-02-29", "2023-02-29", " 23:59:59", ".005", ".995", "Z"]
)
_VALUES = st.one_of(
    st.lists(_FRAGMENTS, max_size=8).map("".join),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
    st.from_regex(r"[+-]?0*[0-9]{0,17}(\.[0-9]{0,4})?", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{0,7})?)?)?", fullmatch=True),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.decimals(allow_nan=True, places=3).map(str),
)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(_VALUES, min_size=1, max_size=400))
def test_same_results_on_hypothesis_batches(rendered: dict[str, str], values: list[str]) -> None:
    _assert_same(_connect(values), rendered)

