"""scripts/load_raw.py, run as the user runs it: a subprocess from the project root."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "order_total", "status", "currency", "refund_of_order_id",
                 "refunded_amount"]
CUSTOMER_COLUMNS = ["customer_id", "email", "first_name", "created_at", "country", "accepts_marketing", "concern"]
ORDERS_CSV = (
    "order_id,customer_id,ordered_at,order_total,status,currency,refund_of_order_id\n"
    "O1,C1,2024-01-02 10:00:00,12.50,completed,EUR,\n"
    "  O2 ,C1,2024-01-03,-2.00, Completed ,eur,O1\n"
)
CUSTOMERS_CSV = "customer_id,email,first_name,created_at,country,accepts_marketing\nC1,a@example.com,Zoé,2023-12-01,FR,true\n"


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "warehouse.duckdb"
        profiles = tmp / "profiles"
        profiles.mkdir()
        shutil.copy(ROOT / "profiles.yml.example", profiles / "profiles.yml")
        self.environ = {k: v for k, v in os.environ.items() if not k.startswith(("RFM_", "DBT_"))}
        self.environ |= {
            "RFM_DUCKDB_PATH": str(self.db),
            "RFM_DUCKDB_TEMP_DIR": str(tmp / "duckdb_tmp"),
            "RFM_DUCKDB_MEMORY_LIMIT": "1GB",
            "DBT_PROFILES_DIR": str(profiles),
        }

    def write(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def load(self, orders: Path | str, customers: Path | str | None, *extra: str) -> subprocess.CompletedProcess[str]:
        """Run the loader; customers None leaves --customers out."""
        files = ["--orders", str(orders)] + ([] if customers is None else ["--customers", str(customers)])
        command = [sys.executable, "scripts/load_raw.py", *files, *extra]
        return subprocess.run(command, cwd=ROOT, env=self.environ, capture_output=True, text=True, timeout=60)

    def table(self, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The rows as loaded (orders and customers without the load_id the loader adds: see test_append_*)."""
        columns = "* EXCLUDE (load_id)" if name in ("orders", "customers") else "*"
        with duckdb.connect(str(self.db), read_only=True) as con:
            result = con.execute(f"SELECT {columns} FROM raw.{name}")
            return [d[0] for d in result.description], result.fetchall()

    def loads(self, name: str) -> list[tuple[int, list[str]]]:
        """(load_id, sorted ids) of each load in raw.orders or raw.customers, oldest first."""
        key = {"orders": "order_id", "customers": "customer_id"}[name]
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(f"SELECT load_id, list({key} ORDER BY {key}) FROM raw.{name} GROUP BY 1 ORDER BY 1").fetchall()


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_csv_is_stored_as_text_exactly_as_it_arrived(env: Env) -> None:
    customers = env.write("c.csv", "customer_id,email,first_name,created_at,country,accepts_marketing,loyalty_tier\nC1, A@x.com ,Zoé,,fr,Y,gold\n")
    result = env.load(env.write("o.csv", ORDERS_CSV), customers)
    assert result.returncode == 0, result.stderr
    assert "2 rows into raw.orders" in result.stdout and "1 rows into raw.customers" in result.stdout
    assert "ignoring unknown columns: loyalty_tier" in result.stderr
    columns, rows = env.table("orders")
    assert columns == ORDER_COLUMNS
    assert rows == [
        ("O1", "C1", "2024-01-02 10:00:00", "12.50", "completed", "EUR", None, None),
        ("  O2 ", "C1", "2024-01-03", "-2.00", " Completed ", "eur", "O1", None),
    ]
    assert env.table("customers") == (CUSTOMER_COLUMNS, [("C1", " A@x.com ", "Zoé", None, "fr", "Y", None)])


def test_gzipped_csv_and_case_insensitive_headers(env: Env) -> None:
    orders = env.tmp / "o.csv.gz"
    orders.write_bytes(gzip.compress(ORDERS_CSV.replace("order_id,customer_id", " Order_ID ,CUSTOMER_ID").encode()))
    result = env.load(orders, env.write("c.csv", CUSTOMERS_CSV))
    assert result.returncode == 0, result.stderr
    assert [r[0] for r in env.table("orders")[1]] == ["O1", "  O2 "]


def test_parquet_typed_columns_become_text(env: Env) -> None:
    orders, customers = env.tmp / "o.parquet", env.tmp / "c.parquet"
    with duckdb.connect() as con:
        con.execute(
            """COPY (SELECT * FROM (VALUES
                    (17, 'C1', TIMESTAMP '2024-01-02 03:04:05', 12.50::DECIMAL(10, 2), 0.1::DOUBLE),
                    (18, 'C1', TIMESTAMP '2024-01-02 03:04:05.123456', -3::DECIMAL(10, 2), 1e20::DOUBLE))
                t("ORDER_ID", " customer_id ", ordered_at, order_total, currency)) TO ? (FORMAT parquet)""",
            [str(orders)],
        )
        con.execute(
            "COPY (SELECT 'C1' AS customer_id, TIMESTAMPTZ '2023-12-01 01:30:00+02' AS created_at,"
            " true AS accepts_marketing) TO ? (FORMAT parquet)",
            [str(customers)],
        )
    result = env.load(orders, customers)
    assert result.returncode == 0, result.stderr
    assert env.table("orders")[1] == [
        ("17", "C1", "2024-01-02 03:04:05", "12.50", None, "0.1", None, None),
        ("18", "C1", "2024-01-02 03:04:05.123456", "-3.00", None, "100000000000000000000", None, None),
    ]
    # an instant is written in UTC with Z: staging converts it to the reporting time zone
    assert env.table("customers")[1] == [("C1", None, None, "2023-11-30 23:30:00Z", None, "true", None)]


def test_missing_optional_columns_become_null_columns(env: Env) -> None:
    orders = env.write("o.csv", "order_id,customer_id,ordered_at,order_total\nO1,C1,2024-01-02,5\n")
    result = env.load(orders, env.write("c.csv", "customer_id\nC1\n"))
    assert result.returncode == 0, result.stderr
    assert env.table("orders") == (ORDER_COLUMNS, [("O1", "C1", "2024-01-02", "5", None, None, None, None)])
    assert env.table("customers") == (CUSTOMER_COLUMNS, [("C1", None, None, None, None, None, None)])


@pytest.mark.parametrize("bad", ["orders", "customers"])
def test_user_error_leaves_previous_raw_tables_untouched(env: Env, bad: str) -> None:
    good_orders, good_customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    assert env.load(good_orders, good_customers).returncode == 0
    before = env.table("orders"), env.table("customers")

    new_orders = env.write("o2.csv", ORDERS_CSV + "O3,C2,2024-02-01,1.00,,,\n")
    if bad == "orders":
        broken = env.write("bad.csv", "order_id,customer_id,ordered_at,amount\nO9,C9,2024-01-01,1\n")
        line = assert_user_error(env.load(broken, good_customers), "orders file", "bad.csv", "'order_total'")
        assert "(found: order_id, customer_id, ordered_at, amount)" in line
    else:
        broken = env.write("bad.csv", "id,email\nC9,x@example.com\n")
        assert_user_error(env.load(new_orders, broken), "customers file", "'customer_id'", "(found: id, email)")
    assert (env.table("orders"), env.table("customers")) == before


def test_wrong_delimiter_is_named(env: Env) -> None:
    semicolon = env.write("semi.csv", "order_id;customer_id;ordered_at;order_total\nO1;C1;2024-01-02;5,10\n")
    customers = env.write("c.csv", CUSTOMERS_CSV)
    assert_user_error(env.load(semicolon, customers, "--delimiter", ","), "looks like ';'-delimited, not ','", "--delimiter ';'")
    tabbed = env.write("tab.csv", "customer_id\temail\nC1\ta@example.com\n")
    assert_user_error(env.load(semicolon, tabbed, "--delimiter", ";"), "customers file", "looks like '\\t'-delimited")
    # Left to the sniffer, both load.
    assert env.load(semicolon, tabbed).returncode == 0
    assert env.table("orders")[1] == [("O1", "C1", "2024-01-02", "5,10", None, None, None, None)]


def test_invalid_utf8_names_the_line(env: Env) -> None:
    orders = env.tmp / "latin1.csv"
    rows = ["order_id,customer_id,ordered_at,order_total"] + [f"O{i},C{i},2024-01-02,1.00" for i in range(1, 9)]
    rows[4] = "O4,Cl\xe9ment,2024-01-02,1.00"
    orders.write_bytes("\n".join(rows).encode("latin-1"))
    assert_user_error(env.load(orders, env.write("c.csv", CUSTOMERS_CSV)), "orders file", "latin1.csv, line 5", "UTF-8")


def test_file_without_data_rows(env: Env) -> None:
    orders = env.write("o.csv", "order_id,customer_id,ordered_at,order_total\n")
    assert_user_error(env.load(orders, env.write("c.csv", CUSTOMERS_CSV)), "orders file", "no data rows")


def test_paths_with_quotes_load(env: Env) -> None:
    orders = env.write("it's here/o'rders \"v1\".csv", ORDERS_CSV)
    result = env.load(orders, env.write("it's here/c'.csv", CUSTOMERS_CSV), "--schema", 'raw')
    assert result.returncode == 0, result.stderr
    assert len(env.table("orders")[1]) == 2


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        ("missing_file", ("orders file", "no such file")),
        ("bad_extension", ("orders file", "unsupported extension")),
        ("not_parquet", ("orders file", "not a valid Parquet file")),
        ("ragged_row", ("orders file", "line 3", "expected 4 columns, found 5")),
        ("unknown_target", ("unknown target 'nope'",)),
        ("no_profiles", ("profiles.yml not found",)),
        ("shared_dir_not_thrift", ("--spark-shared-dir is for a Spark target with `method: thrift`", "is duckdb")),
        ("shared_dir_missing", ("--spark-shared-dir", "must be an existing folder")),
        # the profile's DuckDB configuration (config_options) is the loader's too
        ("bad_memory_limit", ("target 'dev': bad DuckDB settings", "Memory must have a number")),
    ],
)
def test_user_errors_are_one_line_without_traceback(env: Env, case: str, fragments: tuple[str, ...]) -> None:
    orders: Path | str = env.write("o.csv", ORDERS_CSV)
    customers, extra = env.write("c.csv", CUSTOMERS_CSV), []
    if case == "missing_file":
        orders = env.tmp / "absent.csv"
    elif case == "bad_extension":
        orders = env.write("o.xlsx", ORDERS_CSV)
    elif case == "not_parquet":
        orders = env.write("o.parquet", ORDERS_CSV)
    elif case == "ragged_row":
        orders = env.write("r.csv", "order_id,customer_id,ordered_at,order_total\nO1,C1,2024-01-02,1\nO2,C1,2024-01-02,1,oops\n")
    elif case == "unknown_target":
        extra = ["--target", "nope"]
    elif case == "shared_dir_not_thrift":
        extra = ["--spark-shared-dir", str(env.tmp)]
    elif case == "shared_dir_missing":
        extra = ["--spark-shared-dir", str(env.tmp / "absent")]
    elif case == "bad_memory_limit":
        env.environ["RFM_DUCKDB_MEMORY_LIMIT"] = "lots"
    else:
        extra = ["--profiles-dir", str(env.tmp)]
    assert_user_error(env.load(orders, customers, *extra), *fragments)
    assert not env.db.exists()


COLUMN_MAP = "rfm_column_map:\n  orders: {order_id: ID, ordered_at: Created_At, refunded_amount: total_refunded}\n  customers: {customer_id: id}\n"


def test_column_map_renames_file_columns(env: Env) -> None:
    """--column-map: the files keep their own column names (matched without regard to case)."""
    orders = env.write("o.csv", "id,customer_id,created_at,order_total,total_refunded,Note\nO1,C1,2024-01-02,5,1.50,x\n")
    result = env.load(orders, env.write("c.csv", "Id,email\nC1,a@example.com\n"), "--column-map", str(env.write("map.yml", COLUMN_MAP)))
    assert result.returncode == 0, result.stderr
    assert "ignoring unknown columns: Note" in result.stderr
    assert env.table("orders") == (ORDER_COLUMNS, [("O1", "C1", "2024-01-02", "5", None, None, None, "1.50")])
    assert env.table("customers") == (CUSTOMER_COLUMNS, [("C1", "a@example.com", None, None, None, None, None)])


@pytest.mark.parametrize(
    ("column_map", "fragments"),
    [
        ("rfm_column_map:\n  orders: {order_total: price}\n", ("missing required column 'price' (mapped from order_total)",)),
        ("rfm_column_map:\n  orders: {total: price}\n", ("orders has no column 'total'",)),
        ("rfm_column_map:\n  refunds: {order_id: id}\n", ("unknown table 'refunds'",)),
        ("rfm_column_map:\n  orders: {order_id: ''}\n", ("orders.order_id must name a column",)),
        ("orders: {order_id: id}\n", ("expected a mapping under the key rfm_column_map",)),
        ("rfm_column_map: [\n", ("not valid YAML",)),
    ],
)
def test_column_map_errors_are_one_line(env: Env, column_map: str, fragments: tuple[str, ...]) -> None:
    result = env.load(env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV),
                      "--column-map", str(env.write("map.yml", column_map)))
    assert_user_error(result, "column map" if "price" not in fragments[0] else "orders file", *fragments)
    assert not env.db.exists()


def test_help() -> None:
    result = subprocess.run([sys.executable, "scripts/load_raw.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--orders" in result.stdout and "--delimiter" in result.stdout


def test_append_adds_orders_under_a_new_load_id(env: Env) -> None:
    orders, customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    first = env.write("o1.csv", "order_id,customer_id,ordered_at,order_total\nO1,C1,2024-01-02,5\n")
    refused = env.load(first, customers, "--append")
    assert_user_error(refused, "cannot append", "its orders table", "load the full files once without --append")
    assert env.load(first, customers).returncode == 0
    result = env.load(orders, customers, "--append")
    assert result.returncode == 0, result.stderr
    assert "appended 2 rows to raw.orders" in result.stdout
    assert env.load(first, customers, "--append").returncode == 0
    with duckdb.connect(str(env.db), read_only=True) as con:
        loads = con.execute("SELECT load_id, list(order_id ORDER BY order_id) FROM raw.orders GROUP BY 1 ORDER BY 1").fetchall()
    assert [ids for _, ids in loads] == [["O1"], ["  O2 ", "O1"], ["O1"]]
    assert loads[0][0] < loads[1][0] < loads[2][0]
    # a failed append changes nothing
    before = env.table("orders")
    assert_user_error(env.load(env.write("bad.csv", "customer_id\nC1\n"), customers, "--append"), "order_id")
    assert env.table("orders") == before
    # a full load replaces everything, under a load_id above all earlier ones
    assert env.load(first, customers).returncode == 0
    with duckdb.connect(str(env.db), read_only=True) as con:
        assert con.execute("SELECT count(*), min(load_id) > ? FROM raw.orders", [loads[2][0]]).fetchone() == (1, True)


def test_full_loads_write_the_orders_load_id_on_customers(env: Env) -> None:
    orders, customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    assert env.load(orders, customers).returncode == 0
    first = env.loads("customers")
    assert [ids for _, ids in first] == [["C1"]] and env.loads("orders")[0][0] == first[0][0]
    # a full load replaces customers too, under a later load_id
    assert env.load(orders, env.write("c2.csv", "customer_id\nC2\nC3\n")).returncode == 0
    [(load_id, ids)] = env.loads("customers")
    assert ids == ["C2", "C3"] and load_id == env.loads("orders")[0][0] > first[0][0]


def test_append_adds_customers_under_the_orders_load_id(env: Env) -> None:
    orders, customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    assert env.load(orders, customers).returncode == 0
    # the day's delta: C1 changed, C2 new (which record wins is the models' rule, not the loader's)
    day_orders = env.write("day_o.csv", "order_id,customer_id,ordered_at,order_total\nO3,C2,2024-02-01,7\n")
    day_customers = env.write("day_c.csv", "customer_id,email\nC2,b@example.com\nC1,new@example.com\n")
    result = env.load(day_orders, day_customers, "--append")
    assert result.returncode == 0, result.stderr
    assert "appended 1 rows to raw.orders and 2 rows to raw.customers (" in result.stdout
    customer_loads, order_loads = env.loads("customers"), env.loads("orders")
    assert [ids for _, ids in customer_loads] == [["C1"], ["C1", "C2"]]
    assert [load_id for load_id, _ in customer_loads] == [load_id for load_id, _ in order_loads]
    assert customer_loads[0][0] < customer_loads[1][0]
    assert env.table("customers")[1] == [
        ("C1", "a@example.com", "Zoé", "2023-12-01", "FR", "true", None),
        ("C2", "b@example.com", None, None, None, None, None),
        ("C1", "new@example.com", None, None, None, None, None),
    ]
    # a failed append changes neither table
    before = env.loads("orders"), env.loads("customers")
    assert_user_error(env.load(day_orders, env.write("bad.csv", "id\nC9\n"), "--append"), "customers file", "'customer_id'")
    assert (env.loads("orders"), env.loads("customers")) == before


def test_append_without_customers_leaves_them_as_they_are(env: Env) -> None:
    orders, customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    # a full load needs them: it replaces raw.customers
    assert_user_error(env.load(orders, None), "--customers is required", "--append")
    assert not env.db.exists()
    assert env.load(orders, customers).returncode == 0
    before = env.loads("customers")
    result = env.load(env.write("day.csv", "order_id,customer_id,ordered_at,order_total\nO3,C1,2024-02-01,7\n"), None,
                      "--append")
    assert result.returncode == 0, result.stderr
    assert "appended 1 rows to raw.orders, raw.customers left as it was (" in result.stdout
    assert env.loads("customers") == before
    assert [ids for _, ids in env.loads("orders")] == [["  O2 ", "O1"], ["O3"]]


def test_header_only_files_append_nothing_but_replace_nothing_either(env: Env) -> None:
    orders, customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    no_orders = env.write("none_o.csv", "order_id,customer_id,ordered_at,order_total\n")
    no_customers = env.write("none_c.csv", "customer_id,email\n")
    # without --append an empty file would replace a table by nothing: refused, for either table
    assert_user_error(env.load(orders, no_customers), "customers file", "none_c.csv", "no data rows")
    assert not env.db.exists()
    assert env.load(orders, customers).returncode == 0
    before = env.loads("orders"), env.loads("customers")
    # a quiet day
    result = env.load(no_orders, no_customers, "--append")
    assert result.returncode == 0, result.stderr
    assert "appended 0 rows to raw.orders and 0 rows to raw.customers (" in result.stdout
    assert (env.loads("orders"), env.loads("customers")) == before
    # email events are replaced even with --append: an empty file is still refused
    no_events = env.write("none_e.csv", "customer_id,event_type,occurred_at\n")
    assert_user_error(env.load(no_orders, None, "--append", "--email-events", str(no_events)),
                      "email_events file", "no data rows")


def test_append_to_customers_not_written_by_the_loader_is_refused(env: Env) -> None:
    orders, customers = env.write("o.csv", ORDERS_CSV), env.write("c.csv", CUSTOMERS_CSV)
    assert env.load(orders, customers).returncode == 0
    with duckdb.connect(str(env.db)) as con:  # as another tool, or this loader before customers had a load_id, wrote it
        con.execute("CREATE OR REPLACE TABLE raw.customers AS SELECT * EXCLUDE (load_id) FROM raw.customers")

    def foreign_customers() -> list[tuple[Any, ...]]:
        with duckdb.connect(str(env.db), read_only=True) as con:
            return con.execute("SELECT * FROM raw.customers").fetchall()

    before = env.loads("orders"), foreign_customers()
    line = assert_user_error(env.load(orders, customers, "--append"), "cannot append", "its customers table",
                             "(no load_id column)", "load the full files once without --append")
    assert "its orders table" not in line
    assert (env.loads("orders"), foreign_customers()) == before
    # appending orders alone does not touch that table, so it may
    assert env.load(orders, None, "--append").returncode == 0
    assert foreign_customers() == before[1] and len(env.loads("orders")) == 2
    # a full load writes it again, with load_ids: appends work from then on
    assert env.load(orders, customers).returncode == 0
    assert env.load(orders, customers, "--append").returncode == 0
    assert len(env.loads("customers")) == 2
