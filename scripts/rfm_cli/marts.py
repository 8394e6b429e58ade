"""The one way scripts read the marts, on every engine of the profile (docs/consuming.md).

    with open_marts(target_of(args), ("customer_rfm",)) as marts:
        rows = marts.rows("select ... from customer_rfm where segment_code = :code", code="champions")

DuckDB: the published copy (docs/bi.md), read-only; PostgreSQL: the target's schema through psycopg2; Spark:
the `session` target's local warehouse through pyspark, a `thrift` target through PyHive. Queries name the
marts unqualified (the target's schema is the default one) and take `:name` parameters. Values come back
engine-neutral, so a script writes the same bytes on every engine: a whole-number Decimal (PostgreSQL's
sum of integers) is an int, a timestamp is naive UTC. Order rows in Python where text is sorted: engines
collate text differently.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Protocol

from rfm_cli import UserError
from rfm_cli.profile import connect_spark_thrift, resolve_target

Row = dict[str, Any]
# `:name`, not `::type` (a PostgreSQL cast) nor a time like '10:30'.
PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class _Engine(Protocol):
    def rows(self, sql: str, params: dict[str, Any]) -> list[Row]: ...
    def columns(self, table: str) -> list[str]: ...
    def close(self) -> None: ...


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent >= 0:
        return int(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def dbapi_rows(cur: Any) -> list[Row]:
    """A DB-API cursor's rows as dicts. PyHive names a column `table.column` after `select *`, and returns a
    date as text (where it converts decimals and timestamps): dates are made dates, as other drivers give."""
    names = [column[0].rsplit(".", 1)[-1] for column in cur.description]
    dates = [column[1] == "DATE_TYPE" for column in cur.description]
    return [{name: date.fromisoformat(value) if is_date and value is not None else value
             for name, is_date, value in zip(names, dates, values, strict=True)} for values in cur.fetchall()]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Marts:
    """Read-only queries on the marts of one target; `where` names them for messages."""

    def __init__(self, engine: _Engine, where: str) -> None:
        self._engine, self.where = engine, where

    def rows(self, sql: str, **params: Any) -> list[Row]:
        try:
            rows = self._engine.rows(sql, params)
        except UserError:
            raise
        except Exception as exc:  # every driver has its own error classes; all mean the marts are not as expected
            raise UserError(f"{self.where}: cannot read the marts ({_first_line(exc)}); run `dbt build`") from None
        return [{name.lower(): _plain(value) for name, value in row.items()} for row in rows]

    def columns(self, table: str) -> list[str]:
        """The table's column names in order; empty when there is no such table."""
        return [name.lower() for name in self._engine.columns(table)]

    def require(self, tables: Sequence[str]) -> None:
        missing = [table for table in tables if not self.columns(table)]
        if missing:
            raise UserError(f"{self.where}: no table {', '.join(missing)} (run `dbt build` first)")


class _DuckDB:
    def __init__(self, path: str, schema: str) -> None:
        import duckdb

        self.schema = schema
        # Read-only on the published copy: never blocks, nor is blocked by, a running `dbt build`.
        self.con = duckdb.connect(path, read_only=True)
        self.con.execute("set schema = " + _quote_literal(schema))

    def rows(self, sql: str, params: dict[str, Any]) -> list[Row]:
        cursor = self.con.execute(PARAMETER.sub(r"$\1", sql), params or None)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def columns(self, table: str) -> list[str]:
        return [row["column_name"] for row in self.rows(
            "select column_name from information_schema.columns where table_schema = :schema and table_name = :table"
            " order by ordinal_position", {"schema": self.schema, "table": table})]

    def close(self) -> None:
        self.con.close()


class _DBAPI:
    """PostgreSQL (psycopg2) and Spark over thrift (PyHive): DB-API drivers with %(name)s parameters."""

    def __init__(self, con: Any, schema: str, set_schema: str, quote: str) -> None:
        self.con, self.quote = con, quote  # quote: of identifiers (Spark reads "x" as a string)
        with closing(self.con.cursor()) as cur:
            cur.execute(set_schema + _quote_identifier(schema, quote))

    def rows(self, sql: str, params: dict[str, Any]) -> list[Row]:
        with closing(self.con.cursor()) as cur:
            cur.execute(PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%")), params)
            return dbapi_rows(cur)

    def columns(self, table: str) -> list[str]:
        try:
            with closing(self.con.cursor()) as cur:
                cur.execute(f"select * from {_quote_identifier(table, self.quote)} where 1 = 0")
                # PyHive names a column `table.column`
                return [d[0].rsplit(".", 1)[-1] for d in cur.description]
        except Exception:  # no such table: each driver has its own error class
            return []

    def close(self) -> None:
        self.con.close()


class _SparkSession:
    def __init__(self, target: dict[str, Any]) -> None:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName("rfm-scripts").enableHiveSupport()
        for key, value in target["server_side_parameters"].items():
            builder = builder.config(key, value)
        self.spark = builder.getOrCreate()
        self.spark.sql(f"use {_quote_identifier(str(target.get('schema') or 'main'), '`')}")

    def rows(self, sql: str, params: dict[str, Any]) -> list[Row]:
        return [row.asDict() for row in self.spark.sql(sql, args=params or None).collect()]

    def columns(self, table: str) -> list[str]:
        if not self.spark.catalog.tableExists(table):
            return []
        return list(self.spark.table(table).columns)

    def close(self) -> None:
        self.spark.stop()


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote_identifier(name: str, quote: str = '"') -> str:
    return quote + name.replace(quote, quote * 2) + quote


def _connect(target: dict[str, Any]) -> tuple[_Engine, str]:
    schema = str(target.get("schema") or "main")
    kind = target["type"]
    if kind == "duckdb":
        path = target["published_path"]
        if not path:
            raise UserError(f"target '{target['target_name']}' is not a DuckDB file: nothing is published to read")
        import duckdb

        try:
            return _DuckDB(path, schema), path
        except duckdb.IOException:
            raise UserError(f"{path} does not exist or cannot be opened: run the loader and `dbt build` first") from None
    if kind == "postgres":
        try:
            import psycopg2
        except ImportError:
            raise UserError("target postgres needs psycopg2: pip install -r requirements-postgres.txt") from None
        con = psycopg2.connect(host=target["host"], port=target["port"], user=target["user"],
                               password=target["password"], dbname=target["dbname"], connect_timeout=10)
        con.set_session(readonly=True, autocommit=True)
        return _DBAPI(con, schema, "set search_path to ", '"'), f"{target['location']} ({schema})"
    if kind == "spark" and target["method"] == "session":
        try:
            return _SparkSession(target), f"{target['location']} ({schema})"
        except ImportError:
            raise UserError("target spark needs pyspark: pip install -r requirements-spark.txt") from None
    if kind == "spark" and target["method"] == "thrift":
        try:
            con = connect_spark_thrift(target, schema)
        except ImportError:
            raise UserError("a Spark thrift target needs PyHive: pip install -r requirements-spark.txt") from None
        return _DBAPI(con, schema, "use ", "`"), f"{target['location']} ({schema})"
    raise UserError(f"target '{target['target_name']}': reading the marts of a {kind} "
                    f"{target.get('method', '')} target is not supported (duckdb, postgres, spark session or thrift)")


def target_of(args: argparse.Namespace) -> dict[str, Any]:
    """The target named by the options of rfm_cli.add_marts_options: --database, else the profile's target."""
    if args.database:
        path = str(args.database)
        return {"type": "duckdb", "target_name": "--database", "published_path": path, "location": path,
                "schema": args.schema or "main"}
    target = resolve_target(args.profiles_dir, args.target)
    return {**target, "schema": args.schema or target.get("schema") or "main"}


@contextmanager
def open_marts(target: dict[str, Any], tables: Sequence[str] = ()) -> Iterator[Marts]:
    """The marts of a resolved target (rfm_cli.profile.resolve_target), checked to hold `tables`."""
    try:
        engine, where = _connect(target)
    except UserError:
        raise
    except Exception as exc:  # the driver could not connect: a user's server, password or path
        raise UserError(f"cannot open the marts of target '{target['target_name']}' at {target['location']}: "
                        f"{_first_line(exc)}") from None
    try:
        marts = Marts(engine, where)
        marts.require(tables)
        yield marts
    finally:
        engine.close()
