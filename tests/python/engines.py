"""Workspaces on each engine, for the tests that compare engines.

DuckDB always takes part; PostgreSQL, Spark and a Spark cluster when RFM_TEST_ENGINES names them (`bash
scripts/test.sh postgres|spark|spark-cluster` starts one and sets RFM_TEST_ENGINES=duckdb,ENGINE). Every
workspace has the project's example profile and its own warehouse, as conftest.Workspace does for DuckDB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import PROJECT_DIR, RowsOrPath, Workspace

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from rfm_cli.marts import dbapi_rows  # noqa: E402
from rfm_cli.profile import connect_spark_thrift, resolve_target  # noqa: E402

ENGINES = [name.strip() for name in os.environ.get("RFM_TEST_ENGINES", "duckdb").split(",") if name.strip()]
OTHER_ENGINES = [name for name in ENGINES if name != "duckdb"]
needs_other_engine = pytest.mark.skipif(
    not OTHER_ENGINES, reason="no engine besides DuckDB is up (scripts/test.sh postgres|spark|spark-cluster sets RFM_TEST_ENGINES)"
)
Rows = list[dict[str, Any]]

# Every mart a build publishes -> its key (None: no key, compared as a multiset of rows).
MARTS: dict[str, str | None] = {
    "customer_rfm": "customer_id",
    "rfm_segment_summary": "segment_code",
    "data_quality_summary": "source",
    "data_quality_rejects": None,
    "customer_clv": "customer_id",
    "rfm_segment_retention": None,
    "rfm_cohort_retention": None,
    # the holdout draw (md5 of flow and customer) and the uplift interval (double precision) on every engine
    "campaign_flow_entrants": None,
    "campaign_flow_results": None,
    "campaign_flow_audience": None,
    "rfm_segment_history": None,
    "rfm_segment_migration": None,
    "rfm_segment_trend": None,
    "rfm_segment_entries": None,
    "customer_lifecycle": None,
    "customer_segments": None,
    "audience_members": None,
}
# mart -> column -> one unit of its last decimal: roundings of the CLV scoring's doubles (ln, exp, power, the
# 2F1 series), whose last bits differ between engines' maths libraries, so a value a hair from a rounding
# boundary may round either way (seen once in 1599 customers on PostgreSQL). test_clv_predictions_match_scipy
# checks the unrounded values to 1e-6. Only keyed marts can be given this tolerance, and only across engines.
ROUNDED_DOUBLES: dict[str, dict[str, Decimal]] = {
    "customer_clv": {"probability_alive": Decimal("1e-8"), "expected_purchases": Decimal("1e-8"),
                     "expected_order_value": Decimal("0.01"), "predicted_clv": Decimal("0.01")},
    "rfm_segment_summary": {"avg_probability_alive": Decimal("0.0001"), "predicted_clv": Decimal("0.01"),
                            "avg_predicted_clv": Decimal("0.01")},
}


class DuckDBWorkspace(Workspace):
    def read_table(self, schema: str, table: str) -> Rows:
        return self.query_dicts(f"select * from {schema}.{table}")


@dataclass
class PostgresWorkspace(Workspace):
    """Its own database on the server of the `postgres` target (RFM_PG_* env vars): empty, or a copy of the
    database `template` (nothing may be connected to it)."""
    template: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.server = resolve_target(str(self.root / "profiles"), "postgres")
        self.dbname = f"rfm_test_{uuid.uuid4().hex[:12]}"
        self._on_server(f'create database "{self.dbname}"' + (f' template "{self.template}"' if self.template else ""))

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "RFM_TARGET": "postgres", "RFM_PG_DBNAME": self.dbname}

    def connect(self, dbname: str | None = None) -> Any:
        import psycopg2  # from requirements-postgres.txt, which only this engine needs

        return psycopg2.connect(host=self.server["host"], port=self.server["port"], user=self.server["user"],
                                password=self.server["password"], dbname=dbname or self.dbname)

    def _on_server(self, statement: str) -> None:
        with closing(self.connect(self.server["dbname"])) as con:
            con.autocommit = True  # CREATE and DROP DATABASE cannot run in a transaction
            with con.cursor() as cur:
                cur.execute(statement)

    def read_table(self, schema: str, table: str) -> Rows:
        with closing(self.connect()) as con, con.cursor() as cur:
            cur.execute(f"select * from {schema}.{table}")
            names = [column[0] for column in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def clone(self, root: Path) -> PostgresWorkspace:
        return replace(self, root=root, template=self.dbname)

    def drop(self) -> None:
        self._on_server(f'drop database "{self.dbname}"')


class SparkWorkspace(Workspace):
    """Its own warehouse and metastore (RFM_SPARK_DIR) for the session of the `spark` target."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "RFM_TARGET": "spark", "RFM_SPARK_DIR": str(self.root / "spark")}

    def read_table(self, schema: str, table: str) -> Rows:
        # The embedded metastore admits one JVM at a time, and one in pytest would lock dbt out: DuckDB reads
        # the table's Parquet files (dbt_project.yml makes every table Parquet; the layout is the profile's).
        files = self.root / "spark" / "warehouse" / f"{schema}.db" / table / "*.parquet"
        with duckdb.connect() as con:
            result = con.execute("select * from read_parquet(?)", [str(files)])
            names = [column[0] for column in result.description]
            return [dict(zip(names, row)) for row in result.fetchall()]


class SparkClusterWorkspace(Workspace):
    """Its own databases (`<prefix>_main` for the models, `<prefix>_raw` for the raw tables) on the Thrift
    server of the `spark_cluster` target (RFM_SPARK_THRIFT_* env vars), which every workspace shares."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.server = resolve_target(str(self.root / "profiles"), "spark_cluster")
        prefix = f"rfm_test_{uuid.uuid4().hex[:12]}"
        # the schemas the tests name -> this workspace's
        self.schemas = {"main": f"{prefix}_main", "raw": f"{prefix}_raw"}

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "RFM_TARGET": "spark_cluster", "RFM_SPARK_SCHEMA": self.schemas["main"]}

    def load(self, orders: RowsOrPath, customers: RowsOrPath | None, *extra: str) -> subprocess.CompletedProcess[str]:
        return super().load(orders, customers, "--schema", self.schemas["raw"], *extra)

    def dbt(self, *args: str, vars: dict | None = None, **options: Any) -> subprocess.CompletedProcess[str]:
        # dbt unit tests cannot run through a Spark 3.5 Thrift server (docs/engines.md, dbt-labs/dbt-adapters#481);
        # they run on the Spark session, whose SQL is the same.
        options["unit_tests"] = False
        return super().dbt(*args, vars={"rfm_raw_schema": self.schemas["raw"], **(vars or {})}, **options)

    def _execute(self, statement: str, fetch: bool = False) -> Rows:
        with closing(connect_spark_thrift(self.server, "default")) as con, closing(con.cursor()) as cur:
            cur.execute(statement)
            return dbapi_rows(cur) if fetch else []

    def read_table(self, schema: str, table: str) -> Rows:
        return self._execute(f"select * from `{self.schemas[schema]}`.`{table}`", fetch=True)

    def drop(self) -> None:
        for schema in self.schemas.values():
            self._execute(f"drop database if exists `{schema}` cascade")


EngineWorkspace = DuckDBWorkspace | PostgresWorkspace | SparkWorkspace | SparkClusterWorkspace
WORKSPACES: dict[str, type[EngineWorkspace]] = {
    "duckdb": DuckDBWorkspace,
    "postgres": PostgresWorkspace,
    "spark": SparkWorkspace,
    "spark-cluster": SparkClusterWorkspace,
}


@contextmanager
def engine_workspace(engine: str, root: Path, copy_of: EngineWorkspace | None = None) -> Iterator[EngineWorkspace]:
    """A workspace on `engine` (DuckDB or PostgreSQL: a copy of `copy_of`'s warehouse, when given), whose database
    is dropped afterwards where it lives on a server."""
    if engine not in WORKSPACES:
        pytest.fail(f"RFM_TEST_ENGINES names unknown engine {engine!r} (known: {', '.join(WORKSPACES)})")
    ws = copy_of.clone(root) if copy_of is not None else WORKSPACES[engine](root)
    try:
        yield ws
    finally:
        if isinstance(ws, PostgresWorkspace | SparkClusterWorkspace):
            ws.drop()


def engine_name(ws: Workspace) -> str:
    return next((name for name, kind in WORKSPACES.items() if type(ws) is kind), "duckdb")


def as_text(rows: Rows) -> list[dict[str, str]]:
    """Rows with every value as its repr: equal means same type and same digits (Decimal('2.50') vs '2.5')."""
    return [{column: repr(value) for column, value in row.items()} for row in rows]


def mart_differences(mart: str, key: str | None, expected_rows: Rows, actual_rows: Rows,
                     names: tuple[str, str] = ("duckdb", "other")) -> list[str]:
    """What differs between two builds' rows of a mart, value by value (repr), in words naming the builds.
    With a key, the mart's ROUNDED_DOUBLES may be one unit off; without, rows are compared as a multiset."""
    expected, actual = as_text(expected_rows), as_text(actual_rows)
    first, second = names
    if expected and actual and list(expected[0]) != list(actual[0]):
        return [f"{mart}: columns differ\n  {first}: {list(expected[0])}\n  {second}: {list(actual[0])}"]
    if key is None:
        only_first = Counter(tuple(row.items()) for row in expected)
        only_second = Counter(tuple(row.items()) for row in actual)
        only_first, only_second = only_first - only_second, only_second - only_first
        if not only_first and not only_second:
            return []
        sample = f"e.g.\n  {first}: {sorted(only_first)[:1]}\n  {second}: {sorted(only_second)[:1]}"
        return [f"{mart}: {only_first.total()} rows only in {first}, {only_second.total()} only in {second}, {sample}"]
    assert expected, f"{mart} is empty in {first}: the comparison would be vacuous"
    first_by_key, second_by_key = {row[key]: row for row in expected}, {row[key]: row for row in actual}
    # a rounded double one unit off (same type) counts as the first build's value
    raw_first, raw_second = {repr(row[key]): row for row in expected_rows}, {repr(row[key]): row for row in actual_rows}
    for k in first_by_key.keys() & second_by_key.keys():
        for column, unit in ROUNDED_DOUBLES.get(mart, {}).items():
            first_value, second_value = raw_first[k][column], raw_second[k][column]
            if (type(first_value) is type(second_value) and first_value is not None
                    and abs(first_value - second_value) <= unit):
                second_by_key[k][column] = first_by_key[k][column]
    problems = [f"{mart}: {key} {k} only in {first}" for k in sorted(first_by_key.keys() - second_by_key.keys())[:5]]
    problems += [f"{mart}: {key} {k} only in {second}" for k in sorted(second_by_key.keys() - first_by_key.keys())[:5]]
    differing = [k for k in sorted(first_by_key.keys() & second_by_key.keys()) if first_by_key[k] != second_by_key[k]]
    for k in differing[:5]:
        fields = [f"    {column}: {first}={value} {second}={second_by_key[k][column]}"
                  for column, value in first_by_key[k].items() if value != second_by_key[k][column]]
        problems.append(f"{mart}, {key} {k}:\n" + "\n".join(fields))
    if differing:
        problems.append(f"{mart}: {len(differing)} of {len(expected)} rows differ")
    return problems
