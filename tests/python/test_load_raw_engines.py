"""scripts/load_raw.py on PostgreSQL and Spark: the raw tables hold the same text as on DuckDB, --append
adds orders and customers rows under a later load_id (customers left as they are when not given), and on
PostgreSQL a failed load changes nothing (one transaction), with a one-line error."""

from __future__ import annotations

import socket
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from conftest import PROJECT_DIR
from engines import (OTHER_ENGINES, EngineWorkspace, PostgresWorkspace, SparkClusterWorkspace, as_text,
                     engine_workspace, needs_other_engine)

pytestmark = needs_other_engine

# Values that a text format or SQL literals could mangle: backslashes, a tab, a line break, '\N' (COPY's
# null), empty strings (null after loading, as on DuckDB), spaces kept as they arrived, non-ASCII; quotes,
# Spark's escapes and its ${setting} substitution, SQL in a name (the Thrift route writes literals).
ORDERS_CSV = (
    "order_id,customer_id,ordered_at,order_total,status\n"
    'O\\1,"C\t1","2024-01-01\nlate",\\N,""\n'
    " O2 ,C2,,12.50, Shipped \n"
)
CUSTOMERS_CSV = (
    "customer_id,email,first_name\nC1,a@example.com,Zoé\nC2,,'quoted'\n"
    "C3,o'brien@example.com,\"O'Brien \\' \\\\' \\u0041 \\n ${spark.sql.session.timeZone} 🎉\"\n"
    "C4,,\"x'); drop table raw.orders; --\"\n"
)


def write_inputs(root: Path) -> tuple[Path, Path]:
    root.mkdir(parents=True, exist_ok=True)
    orders, customers = root / "orders.csv", root / "customers.csv"
    orders.write_text(ORDERS_CSV, encoding="utf-8")
    customers.write_text(CUSTOMERS_CSV, encoding="utf-8")
    return orders, customers


def loaded_text(ws: EngineWorkspace, orders: Path, customers: Path, *extra: str) -> list[list[dict[str, str]]]:
    """Load, append the same files, then append the orders alone: the raw tables' rows as text, load ids apart."""
    ws.load(orders, customers, *extra)
    ws.load(orders, customers, "--append", *extra)
    ws.load(orders, None, "--append", *extra)
    # load ids are times: they differ between engines, and each append has a later one; customers rows have
    # their load's, and the last load left them as they were
    raw_orders, raw_customers = ws.read_table("raw", "orders"), ws.read_table("raw", "customers")
    loads = sorted({row.pop("load_id") for row in raw_orders})
    assert len(loads) == 3 and loads[0] > 10**15, loads
    assert sorted({row.pop("load_id") for row in raw_customers}) == loads[:2]
    return [sorted(as_text(raw_orders), key=repr), sorted(as_text(raw_customers), key=repr)]


@pytest.mark.parametrize("engine", OTHER_ENGINES)
def test_raw_tables_hold_the_same_text_as_on_duckdb(engine: str, tmp_path: Path) -> None:
    orders, customers = write_inputs(tmp_path / "input")
    with engine_workspace("duckdb", tmp_path / "duckdb") as duck, engine_workspace(engine, tmp_path / engine) as other:
        assert loaded_text(other, orders, customers) == loaded_text(duck, orders, customers)


@pytest.mark.skipif("spark-cluster" not in OTHER_ENGINES, reason="the Spark cluster is not up")
def test_spark_cluster_reads_a_shared_folder(tmp_path: Path) -> None:
    """--spark-shared-dir (this machine's cluster reads the client's Parquet files): the same tables as the
    literals' route gives, append included, and nothing left in the folder."""
    orders, customers = write_inputs(tmp_path / "input")
    shared = tmp_path / "shared"
    shared.mkdir()
    with engine_workspace("duckdb", tmp_path / "duckdb") as duck, \
            engine_workspace("spark-cluster", tmp_path / "cluster") as cluster:
        assert loaded_text(cluster, orders, customers, "--spark-shared-dir", str(shared)) == \
            loaded_text(duck, orders, customers)
    assert not list(shared.iterdir())


@pytest.mark.skipif("postgres" not in OTHER_ENGINES, reason="PostgreSQL is not up")
def test_postgres_failed_load_changes_nothing(tmp_path: Path) -> None:
    orders, customers = write_inputs(tmp_path / "input")
    with engine_workspace("postgres", tmp_path / "ws") as ws:
        assert isinstance(ws, PostgresWorkspace)
        ws.load(orders, customers)
        before = ws.read_table("raw", "orders")
        # orders would load fine, customers cannot: it is a view now
        with closing(ws.connect()) as con, con, con.cursor() as cur:  # the inner `con` commits
            cur.execute("drop table raw.customers; create view raw.customers as select 1 as customer_id")
        other_orders = tmp_path / "other_orders.csv"
        other_orders.write_text("order_id,customer_id,ordered_at,order_total\nO9,C9,2024-02-02,9\n", encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(other_orders),
             "--customers", str(customers), "--profiles-dir", str(ws.root / "profiles")],
            cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: cannot write the raw tables in postgresql://{ws.server['user']}@{ws.server['host']}:"
            f"{ws.server['port']}/{ws.dbname}: \"customers\" is not a table"
        ]
        assert ws.read_table("raw", "orders") == before


@pytest.mark.skipif("postgres" not in OTHER_ENGINES, reason="PostgreSQL is not up")
def test_postgres_customers_of_an_older_loader_get_a_load_id(tmp_path: Path) -> None:
    """raw.customers as a loader wrote it before customers had a load_id, with a view on it (dbt's staging):
    an append is refused, naming customers; a full load adds the column instead of dropping the table."""
    orders, customers = write_inputs(tmp_path / "input")
    with engine_workspace("postgres", tmp_path / "ws") as ws:
        assert isinstance(ws, PostgresWorkspace)
        ws.load(orders, customers)
        with closing(ws.connect()) as con, con, con.cursor() as cur:  # the inner `con` commits
            cur.execute("alter table raw.customers drop column load_id;"
                        " create view public.stg_customers as select * from raw.customers")
        command = [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(orders),
                   "--customers", str(customers), "--profiles-dir", str(ws.root / "profiles")]
        refused = subprocess.run([*command, "--append"], cwd=PROJECT_DIR, env=ws.env, capture_output=True, text=True,
                                 timeout=120)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "its customers table" in refused.stderr and "load the full files once without --append" in refused.stderr
        ws.load(orders, customers)
        with closing(ws.connect()) as con, con.cursor() as cur:
            cur.execute("select count(*) from public.stg_customers")
            assert cur.fetchone() == (4,)
            cur.execute("select count(distinct customers.load_id), min(customers.load_id) = max(orders.load_id)"
                        " from raw.customers cross join raw.orders")
            assert cur.fetchone() == (1, True)


@pytest.mark.skipif("spark-cluster" not in OTHER_ENGINES, reason="the Spark cluster is not up")
def test_spark_cluster_unreachable_is_one_line(tmp_path: Path) -> None:
    """A Thrift server that does not answer: one line naming it, exit 2 (thrift's own log line silenced)."""
    orders, customers = write_inputs(tmp_path / "input")
    ws = SparkClusterWorkspace(tmp_path / "ws")  # nothing is created on a server
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: nobody answers on this port
        port = closed.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "scripts" / "load_raw.py"), "--orders", str(orders),
             "--customers", str(customers), "--profiles-dir", str(ws.root / "profiles")],
            cwd=PROJECT_DIR, env={**ws.env, "RFM_SPARK_THRIFT_HOST": "127.0.0.1", "RFM_SPARK_THRIFT_PORT": str(port)},
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: cannot connect to thrift://127.0.0.1:{port}: Could not connect to any of [('127.0.0.1', {port})]"
    ]
