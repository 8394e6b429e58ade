#!/usr/bin/env python3
"""Load orders and customers files into the raw tables of the dbt target, as text.

Every file is read and checked completely in an in-memory DuckDB first; only then are
<schema>.orders and <schema>.customers written, together: in one transaction on DuckDB and PostgreSQL,
and on Spark (which has no multi-table transactions) by writing the tables aside and then renaming them
into place. A user error prints one `error: ...` line and exits with 2, leaving the existing raw tables
untouched. With --email-events, the optional raw table email_events is checked and replaced together with
the other two (docs/lifecycle.md); without it, an existing email_events table is left as it is.

With --column-map FILE, the files' columns may have other names: FILE is YAML whose `rfm_column_map` maps,
per table, contract columns to the files' names (`orders: {order_id: id, ordered_at: created_at}`). It is
the var of the same name, so the same file serves dbt on tables already in the warehouse
(`dbt build --vars "$(cat FILE)"`; docs/own-data.md).

Every orders and customers row gets the load_id of its load (bigint, larger than any before it in either
table). Without --append both tables are replaced. With --append, both files hold a day's delta (new orders;
new and changed customer records) and their rows are added to <schema>.orders and <schema>.customers under a
new load_id, so that the daily dbt build validates only them (docs/incremental.md); a later record of a
customer_id replaces an earlier one in the models, not here. --customers may then be left out (no customer
changes: the table stays as it is), and a file with a header and no rows appends nothing. An append needs
tables this loader wrote (with a load_id column).

A Spark cluster reached through its Thrift server gets the rows as SQL literals, or, with --spark-shared-dir,
as Parquet files in a folder it reads at the same path (docs/engines.md).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import importlib
import io
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

import duckdb
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rfm_cli  # noqa: E402
from rfm_cli import UserError  # noqa: E402
from rfm_cli.profile import connect_spark_thrift, resolve_target  # noqa: E402


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[str, ...]  # in the order of docs/rules.md section 1
    required: int  # the first `required` columns are required


ORDERS = TableSpec(
    "orders",
    ("order_id", "customer_id", "ordered_at", "order_total", "status", "currency", "refund_of_order_id",
     "refunded_amount"),
    4,
)
CUSTOMERS = TableSpec(
    "customers",
    ("customer_id", "email", "first_name", "created_at", "country", "accepts_marketing", "concern"),
    1,
)
# The column the loader adds to raw.orders and raw.customers: which load wrote the row (docs/incremental.md).
LOAD_ID = "load_id"
# The tables with a load_id, which --append appends to.
STAMPED = (ORDERS, CUSTOMERS)
# Optional third table (--email-events): replaced only when a file is given.
EMAIL_EVENTS = TableSpec("email_events", ("customer_id", "event_type", "occurred_at"), 3)
DELIMITERS = (",", ";", "\t", "|")
# Errors caused by the files or the environment; anything else (binder, parser...) is our bug.
FILE_ERRORS = (
    duckdb.InvalidInputException,
    duckdb.IOException,
    duckdb.ConversionException,
    duckdb.OutOfMemoryException,
)
# DuckDB's messages are long and multi-line: keep the cause, in a few words.
KNOWN_CAUSES: tuple[tuple[str, str], ...] = (
    (r"Invalid unicode", "invalid UTF-8 (save the file as UTF-8)"),
    (r"Expected Number of Columns: (\d+) Found: (\d+)", "expected {0} columns, found {1}"),
    (r"unterminated quote", "value with an unterminated quote"),
    (r"not a GZIP stream", "not a valid gzip file"),
    (r"too small to be a Parquet file|No magic bytes|Footer length error", "not a valid Parquet file"),
    (r"Maximum line size of (\d+) bytes exceeded", "a record longer than {0} bytes (the limit)"),
)
# Longest line a CSV file may hold, in bytes: checked on every line before DuckDB reads the file, because
# DuckDB silently drops a last line much longer than its own limit (which is set to the same value).
MAX_LINE_BYTES = 1_048_576
# A DuckDB database file has these bytes at offset 8 (its header); anything else is not one.
DUCKDB_MAGIC = b"DUCK"


# PostgreSQL COPY text format: a tab between values, \N for null, and these characters escaped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_BATCH_ROWS = 10_000


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def spark_ident(*parts: str) -> str:
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts)


# Spark SQL string literals read backslash escapes (\\, \', \uXXXX); control characters are written as \uXXXX.
SPARK_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", **{chr(c): f"\\u{c:04x}" for c in range(32)}})
# Staged rows go to a Thrift server as INSERT ... VALUES statements of about this many characters each.
SPARK_SQL_BATCH_CHARS = 1_000_000


def spark_literal(value: str | int | None) -> str:
    """A staged value as a Spark SQL literal: NULL, a load_id, or text escaped whatever it holds."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + value.translate(SPARK_ESCAPES) + "'"


def written_columns(spec: TableSpec, text_type: str, bigint_type: str) -> list[tuple[str, str]]:
    """(column, type) of a raw table as the loader writes it: text, and the load_id of a STAMPED table."""
    return [(column, text_type) for column in spec.columns] + ([(LOAD_ID, bigint_type)] if spec in STAMPED else [])


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def import_engine_module(name: str, target: dict[str, Any]) -> ModuleType:
    """The driver of a warehouse engine, installed only with that engine's requirements file."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UserError(
            f"target '{target['target_name']}' needs the Python package of {name.split('.')[0]}: "
            f"pip install -r requirements-{target['type']}.txt"
        ) from None


def copy_text(value: str | int | None) -> str:
    return "\\N" if value is None else str(value).translate(COPY_ESCAPES)


def duckdb_cause(exc: duckdb.Error) -> tuple[int | None, str]:
    """(line number if DuckDB names one, short cause) of a DuckDB error."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    for pattern, message in KNOWN_CAUSES:
        found = re.search(pattern, text)
        if found:
            return (int(line.group(1)) if line else None), message.format(*found.groups())
    first = re.sub(r"^[\w ]*Error: ", "", text.strip().splitlines()[0])
    return (int(line.group(1)) if line else None), first


def text_expr(column: str, duck_type: str) -> str:
    """SQL turning a typed (Parquet) column into the text the loader stores."""
    col = quote_ident(column)
    t = duck_type.upper()
    if t == "VARCHAR":
        return col
    if t.startswith("TIMESTAMP"):
        # Contract format 'YYYY-MM-DD HH:MM:SS[.ffffff]'; instants are written in UTC with a Z, which staging
        # converts to the reporting time zone (a timestamp without zone is already in it).
        ts = f"timezone('UTC', {col})" if "TIME ZONE" in t else f"{col}::TIMESTAMP"
        text = f"regexp_replace(strftime({ts}, '%Y-%m-%d %H:%M:%S.%f'), '\\.000000$', '')"
        return f"{text} || 'Z'" if "TIME ZONE" in t else text
    if t in ("DOUBLE", "FLOAT", "REAL"):
        # Shortest repr, then plain decimal text (no exponent); NaN/inf stay as DuckDB spells them.
        plain = f"regexp_replace(try_cast({col}::VARCHAR AS DECIMAL(38, 10))::VARCHAR, '\\.?0+$', '')"
        return f"coalesce({plain}, {col}::VARCHAR)"
    return f"{col}::VARCHAR"


ColumnMap = dict[str, dict[str, str]]  # table -> contract column -> the file's column name


def read_column_map(path_arg: str) -> ColumnMap:
    """The `rfm_column_map` of a YAML file (dbt vars), checked against the contract columns."""
    label = f"column map {path_arg}"
    try:
        document = yaml.safe_load(Path(path_arg).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{label}: cannot read ({exc.strerror or exc})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UserError(f"{label}: not valid YAML ({first_line(exc)})") from None
    tables = document.get("rfm_column_map") if isinstance(document, dict) else None
    if not isinstance(tables, dict):
        raise UserError(f"{label}: expected a mapping under the key rfm_column_map")
    known = {spec.name: spec for spec in (ORDERS, CUSTOMERS, EMAIL_EVENTS)}
    column_map: ColumnMap = {}
    for table, columns in tables.items():
        if table not in known:
            raise UserError(f"{label}: unknown table {table!r} (known: {', '.join(known)})")
        if not isinstance(columns, dict):
            raise UserError(f"{label}: {table} must map contract columns to your column names")
        for column, name in columns.items():
            if column not in known[table].columns:
                raise UserError(f"{label}: {table} has no column {column!r} (known: {', '.join(known[table].columns)})")
            if not isinstance(name, str) or not name.strip():
                raise UserError(f"{label}: {table}.{column} must name a column, got {name!r}")
        column_map[table] = {column: name.strip().lower() for column, name in columns.items()}
    return column_map


def check_duckdb_file(path: Path) -> None:
    """A target file that exists must be a DuckDB database: DuckDB would attach a CSV file and write nothing."""
    try:
        with path.open("rb") as file:
            header = file.read(12)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UserError(f"cannot open DuckDB database {path}: {exc.strerror or exc}") from None
    if header[8:12] != DUCKDB_MAGIC:
        raise UserError(f"{path} is not a DuckDB database (check RFM_DUCKDB_PATH or the profile's path)")


def parse_delimiter(value: str) -> str:
    value = {"\\t": "\t", "tab": "\t"}.get(value, value)
    if len(value) != 1:
        raise argparse.ArgumentTypeError("must be one character (use '\\t' for tab)")
    return value


class Loader:
    def __init__(
        self, con: duckdb.DuckDBPyConnection, delimiter: str | None,
        tables: tuple[TableSpec, ...] = (ORDERS, CUSTOMERS), append: bool = False,
        column_map: ColumnMap | None = None, spark_shared_dir: Path | None = None,
    ) -> None:
        self.con = con
        # a folder the Spark cluster reads at the same path: rows go over Thrift as Parquet files, not literals
        self.spark_shared_dir = spark_shared_dir
        self.column_map = column_map or {}  # the files' names of contract columns, where they differ
        self.delimiter = delimiter
        self.tables = tables  # the raw tables written together
        self.append = append  # orders and customers rows are added to their tables instead of replacing them
        # microseconds since 1970 when loaded, and always above the tables' latest one (clocks can step back)
        self.load_id = 0

    def appends(self, spec: TableSpec) -> bool:
        return self.append and spec in STAMPED

    def stamp(self, ours: Sequence[TableSpec], latest: Callable[[TableSpec], int | None], location: str) -> None:
        """Choose the load_id of the staged rows, above the `latest` one of every table in `ours` (those of
        STAMPED that this loader wrote: with a load_id column); an append needs its tables among them."""
        for spec in self.tables:
            if self.appends(spec) and spec not in ours:
                raise UserError(
                    f"cannot append to {location}: its {spec.name} table does not exist or was not written by this"
                    f" loader (no {LOAD_ID} column); load the full files once without --append"
                )
        # every stamped table counts, written by this load or not: a load's id stays above all earlier ones
        self.load_id = max([time.time_ns() // 1000, *((latest(spec) or 0) + 1 for spec in ours)])

    def staged(self, spec: TableSpec) -> str:
        """SELECT of a staged table as it is written: orders and customers with their load_id."""
        load_id = f", CAST({self.load_id} AS BIGINT) AS {LOAD_ID}" if spec in STAMPED else ""
        return f"SELECT *{load_id} FROM stage_{spec.name}"

    def staged_parquet(self, spec: TableSpec, folder: Path) -> Path:
        """The staged table as written, in a Parquet file in `folder`, for Spark to read."""
        file = folder / f"{spec.name}.parquet"
        self.con.execute(f"COPY ({self.staged(spec)}) TO ? (FORMAT parquet)", [str(file)])
        return file

    def file_column(self, spec: TableSpec, column: str) -> str:
        """The name (lower case) of a contract column in the file: its own, unless --column-map renames it."""
        return self.column_map.get(spec.name, {}).get(column, column)

    @staticmethod
    def precheck(spec: TableSpec, path_arg: str) -> None:
        """Cheap checks, run on both files before reading either."""
        label = f"{spec.name} file {path_arg}"
        path = Path(path_arg)
        if not path.name.lower().endswith((".csv", ".csv.gz", ".parquet")):
            raise UserError(f"{label}: unsupported extension (expected .csv, .csv.gz or .parquet)")
        try:
            if not path.is_file():
                raise UserError(f"{label}: no such file")
            if path.stat().st_size == 0:
                raise UserError(f"{label}: file is empty")
        except OSError as exc:  # a name too long for the file system, say
            raise UserError(f"{label}: cannot read ({exc.strerror or exc})") from None

    @staticmethod
    def check_line_lengths(label: str, path: Path) -> None:
        """Every line of a CSV file at most MAX_LINE_BYTES long, else a UserError naming the first longer one.

        Reads the file in chunks of that size: a longer line holds no line break for a whole chunk, so
        only the line that runs across chunk edges needs counting."""
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        line, current = 1, 0  # line number and length so far of the line being read
        try:
            with opener(path, "rb") as file:
                while chunk := file.read(MAX_LINE_BYTES):
                    first = chunk.find(b"\n")
                    if current + (len(chunk) if first < 0 else first) > MAX_LINE_BYTES:
                        break
                    if first >= 0:
                        line += chunk.count(b"\n")
                        current = len(chunk) - 1 - chunk.rfind(b"\n")
                    else:
                        current += len(chunk)
                else:
                    return
        except (gzip.BadGzipFile, EOFError):
            raise UserError(f"{label}: not a valid gzip file") from None
        except OSError as exc:
            raise UserError(f"{label}: cannot read ({exc.strerror or exc})") from None
        raise UserError(f"{label}, line {line}: longer than {MAX_LINE_BYTES:,} bytes (the limit); is it a CSV file?")

    def stage(self, spec: TableSpec, path_arg: str) -> int:
        """Read one file fully into table stage_<name>; return its row count."""
        label = f"{spec.name} file {path_arg}"
        path = Path(path_arg)
        if path.name.lower().endswith(".parquet"):
            source, params = "read_parquet(?)", [str(path)]
            found = [(str(name), str(typ)) for name, typ, *_ in self._run(label, f"DESCRIBE SELECT * FROM {source}", params)]
            exprs = [(name, text_expr(name, typ)) for name, typ in found]
        else:
            self.check_line_lengths(label, path)
            delimiter, header_line, names = self._csv_header(label, path)
            if not any(n.strip().lower() == self.file_column(spec, spec.columns[0]) for n in names):
                self._check_delimiter(label, header_line, delimiter)
            # We parse the header ourselves and hand DuckDB positional names: no sniffing (which may
            # skip "odd" leading rows) and no user text in SQL. Strict RFC 4180: a malformed row is an
            # error with its line number, never skipped or padded.
            struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
            source = (
                f"read_csv(?, auto_detect = false, header = true, columns = {{{struct}}}, delim = ?,"
                " quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8',"
                f" max_line_size = {MAX_LINE_BYTES})"
            )
            params = [str(path), delimiter]
            exprs = [(name, f"c{i}") for i, name in enumerate(names)]

        columns: dict[str, str] = {}
        for name, expr in exprs:
            key = name.strip().lower()
            if key in columns:
                raise UserError(f"{label}: column {key!r} appears twice")
            columns[key] = expr
        wanted = {c: self.file_column(spec, c) for c in spec.columns}
        missing = [c for c in spec.columns[: spec.required] if wanted[c] not in columns]
        if missing:
            found_names = ", ".join(name.strip() for name, _ in exprs)
            mapped = f" (mapped from {missing[0]})" if wanted[missing[0]] != missing[0] else ""
            raise UserError(f"{label}: missing required column '{wanted[missing[0]]}'{mapped} (found: {found_names})")
        extra = [name.strip() for name, _ in exprs if name.strip().lower() not in wanted.values()]
        if extra:
            print(f"warning: {label}: ignoring unknown columns: {', '.join(extra)}", file=sys.stderr)

        select = ", ".join(f"{columns.get(wanted[c], 'NULL::VARCHAR')} AS {quote_ident(c)}" for c in spec.columns)
        self._run(label, f"CREATE OR REPLACE TABLE stage_{spec.name} AS SELECT {select} FROM {source}", params)
        (count,) = self._run(label, f"SELECT count(*) FROM stage_{spec.name}", [])[0]
        # an append of nothing is a quiet day; a replace by nothing is surely a wrong file
        if count == 0 and not self.appends(spec):
            raise UserError(f"{label}: file has no data rows")
        return int(count)

    def _csv_header(self, label: str, path: Path) -> tuple[str, str, list[str]]:
        """(delimiter, raw header line, column names) of a CSV file."""
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        try:
            with opener(path, "rb") as file:
                raw = file.readline()
        except (gzip.BadGzipFile, EOFError):
            raise UserError(f"{label}: not a valid gzip file") from None
        except OSError as exc:
            raise UserError(f"{label}: cannot read ({exc.strerror or exc})") from None
        try:
            line = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError(f"{label}, line 1: invalid UTF-8 (save the file as UTF-8)") from None
        if not line.strip():
            raise UserError(f"{label}: no header line")
        # Sniff: the candidate most frequent in the header (',' when none is).
        delimiter = self.delimiter or max(DELIMITERS, key=line.count)
        try:
            names = next(csv.reader([line], delimiter=delimiter, quotechar='"', strict=True))
        except csv.Error as exc:
            raise UserError(f"{label}, line 1: unreadable header ({exc})") from None
        return delimiter, line, names

    @staticmethod
    def _check_delimiter(label: str, header_line: str, used: str) -> None:
        """A header without the delimiter but with another candidate: the wrong one was given."""
        others = [d for d in DELIMITERS if d != used and d in header_line]
        if used not in header_line and others:
            best = max(others, key=header_line.count)
            raise UserError(f"{label}: looks like {best!r}-delimited, not {used!r}; pass --delimiter {best!r}")

    def _run(self, label: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        # A corrupt Parquet file raises DuckDB's base error class: only reading a file can raise it here.
        file_errors = (duckdb.Error,) if "read_parquet" in sql else FILE_ERRORS
        try:
            return self.con.execute(sql, params).fetchall()
        except file_errors as exc:
            line, cause = duckdb_cause(exc)
            where = f"{label}, line {line}" if line is not None else label
            raise UserError(f"{where}: {cause}") from None

    def replace_raw_duckdb(self, target: dict[str, Any], schema: str) -> None:
        """Write the raw tables in one transaction of the target database."""
        database = target["path"]
        check_duckdb_file(Path(database))
        try:
            self.con.execute("ATTACH ? AS rfm_target", [database])
        except FILE_ERRORS + (duckdb.ResourceInUseException, duckdb.PermissionException) as exc:
            raise UserError(f"cannot open DuckDB database {database}: {duckdb_cause(exc)[1]}") from None
        target = f"rfm_target.{quote_ident(schema)}"
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {target}")
            stamped = {name for (name,) in self.con.execute(
                "SELECT table_name FROM duckdb_columns() WHERE database_name = 'rfm_target' AND schema_name = ?"
                " AND column_name = ?", [schema, LOAD_ID],
            ).fetchall()}
            self.stamp(
                [spec for spec in STAMPED if spec.name in stamped],
                lambda spec: self.con.execute(f"SELECT max({LOAD_ID}) FROM {target}.{spec.name}").fetchone()[0],  # type: ignore[index]
                f"{database} {schema}",
            )
            for spec in self.tables:
                if self.appends(spec):
                    self.con.execute(f"INSERT INTO {target}.{spec.name} BY NAME {self.staged(spec)}")
                else:
                    self.con.execute(f"CREATE OR REPLACE TABLE {target}.{spec.name} AS {self.staged(spec)}")
            self.con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.TransactionException):  # a failed COMMIT has rolled back already
                self.con.execute("ROLLBACK")
            # e.g. a view already named raw.orders, a full disk: the user's to fix.
            if isinstance(exc, FILE_ERRORS + (duckdb.CatalogException,)):
                raise UserError(f"cannot write the raw tables in {database}: {duckdb_cause(exc)[1]}") from None
            raise
        finally:
            self.con.execute("DETACH rfm_target")

    def replace_raw_postgres(self, target: dict[str, Any], schema: str) -> None:
        """Write the raw tables in one PostgreSQL transaction, streaming the staged rows with COPY."""
        psycopg2 = import_engine_module("psycopg2", target)
        from psycopg2 import sql

        try:
            pg = psycopg2.connect(host=target["host"], port=target["port"], user=target["user"],
                                  password=target["password"], dbname=target["dbname"], connect_timeout=10)
        except psycopg2.Error as exc:
            raise UserError(f"cannot connect to {target['location']}: {first_line(exc)}") from None
        try:
            with pg, pg.cursor() as cur:  # one transaction: committed on success, rolled back on any error
                cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                cur.execute(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = %s ORDER BY table_name, ordinal_position",
                    (schema,),
                )
                found: dict[str, list[tuple[str, str]]] = {}
                for table_name, column, data_type in cur.fetchall():
                    found.setdefault(table_name, []).append((column, data_type))

                def is_ours(spec: TableSpec) -> bool:
                    """Written by this loader: exactly its columns, in its order."""
                    return found.get(spec.name) == written_columns(spec, "text", "bigint")

                def latest(spec: TableSpec) -> int | None:
                    cur.execute(sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(LOAD_ID),
                                                                        sql.Identifier(schema, spec.name)))
                    return cur.fetchone()[0]

                self.stamp([spec for spec in STAMPED if is_ours(spec)], latest, f"{target['location']} {schema}")
                for spec in self.tables:
                    table = sql.Identifier(schema, spec.name)
                    written = written_columns(spec, "text", "bigint")
                    if spec in STAMPED and found.get(spec.name) == written[:-1]:
                        # An older loader's table, from before it wrote a load_id there: given the column, not
                        # dropped (the staging views that dbt built on it would refuse that).
                        cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} bigint").format(table, sql.Identifier(LOAD_ID)))
                    elif not is_ours(spec):
                        columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                                                     for c, t in written)
                        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
                        cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
                    if not self.appends(spec):
                        # Emptied, not dropped: the staging views that dbt built on it keep working.
                        cur.execute(sql.SQL("TRUNCATE {}").format(table))
                    copy = sql.SQL("COPY {} FROM STDIN").format(table)
                    for chunk in self._copy_chunks(spec):
                        cur.copy_expert(copy, io.StringIO(chunk))
        except psycopg2.Error as exc:
            # e.g. a view already named raw.orders, no right to create the schema: the user's to fix.
            raise UserError(f"cannot write the raw tables in {target['location']}: {first_line(exc)}") from None
        finally:
            pg.close()

    def _staged_batches(self, spec: TableSpec) -> Iterator[list[tuple[Any, ...]]]:
        """The staged rows of a table as written, COPY_BATCH_ROWS at a time."""
        result = self.con.execute(self.staged(spec))
        while rows := result.fetchmany(COPY_BATCH_ROWS):
            yield rows

    def _copy_chunks(self, spec: TableSpec) -> Iterator[str]:
        """The staged rows of a table in COPY text format, a batch at a time."""
        for rows in self._staged_batches(spec):
            yield "".join("\t".join(copy_text(value) for value in row) + "\n" for row in rows)

    def _spark_values(self, spec: TableSpec) -> Iterator[str]:
        """The staged rows of a table as Spark SQL VALUES lists of about SPARK_SQL_BATCH_CHARS characters."""
        batch: list[str] = []
        size = 0
        for rows in self._staged_batches(spec):
            for row in rows:
                batch.append("(" + ", ".join(spark_literal(value) for value in row) + ")")
                size += len(batch[-1])
                if size >= SPARK_SQL_BATCH_CHARS:
                    yield ", ".join(batch)
                    batch, size = [], 0
        if batch:
            yield ", ".join(batch)

    def replace_raw_spark(self, target: dict[str, Any], schema: str) -> None:
        """Write the raw tables aside, then rename them into place (Spark has no multi-table transaction):
        through a Spark session of this process, or through the Thrift server of a cluster."""
        if target["method"] == "thrift":
            self._replace_raw_spark_thrift(target, schema)
        elif target["method"] == "session":
            self._replace_raw_spark_session(target, schema)
        else:
            raise UserError(
                f"target '{target['target_name']}': load_raw.py loads Spark through `method: session` or `thrift`;"
                f" with `{target['method']}`, load the files into {schema}.orders and {schema}.customers (string"
                " columns) with the platform's tools"
            )

    def _swap_in(self, run: Callable[[str], Any], schema: str) -> None:
        """Replace each raw table by its `__loading` table, written aside (the slow part, where things fail)."""
        for spec in self.tables:
            run(f"DROP TABLE IF EXISTS {spark_ident(schema, spec.name)}")
            run(f"ALTER TABLE {spark_ident(schema, f'{spec.name}__loading')} RENAME TO {spark_ident(schema, spec.name)}")

    def _replace_raw_spark_session(self, target: dict[str, Any], schema: str) -> None:
        pyspark_sql = import_engine_module("pyspark.sql", target)
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        builder = pyspark_sql.SparkSession.builder.enableHiveSupport()
        # The same warehouse and metastore as the dbt session, which takes its settings from the same keys.
        for key, value in target["server_side_parameters"].items():
            builder = builder.config(key, value)
        with tempfile.TemporaryDirectory(prefix="rfm-load-") as tmp:
            try:
                spark = builder.getOrCreate()
            except (PySparkException, Py4JError) as exc:
                raise UserError(f"cannot start a Spark session for {target['location']}: {first_line(exc)}") from None
            try:
                spark.sql(f"CREATE DATABASE IF NOT EXISTS {spark_ident(schema)}")
                ours = [spec for spec in STAMPED if spark.catalog.tableExists(spec.name, schema)
                        and LOAD_ID in spark.table(spark_ident(schema, spec.name)).columns]

                def latest(spec: TableSpec) -> int | None:
                    return spark.sql(f"SELECT max({LOAD_ID}) FROM {spark_ident(schema, spec.name)}").first()[0]

                self.stamp(ours, latest, f"{target['location']} {schema}")
                # Appended tables too are written aside: Parquet tables have no transactions, so the new table
                # holds old + new.
                for spec in self.tables:
                    rows = spark.read.parquet(str(self.staged_parquet(spec, Path(tmp))))
                    if self.appends(spec):
                        rows = spark.table(spark_ident(schema, spec.name)).unionByName(rows)
                    rows.write.mode("overwrite").format("parquet").saveAsTable(spark_ident(schema, f"{spec.name}__loading"))
                self._swap_in(spark.sql, schema)
            except (PySparkException, Py4JError) as exc:
                raise UserError(f"cannot write the raw tables in {target['location']}: {first_line(exc)}") from None
            finally:
                spark.stop()

    def _replace_raw_spark_thrift(self, target: dict[str, Any], schema: str) -> None:
        """The session route's steps in SQL: a cluster does not share this machine's files, so the staged rows
        travel as escaped literals, a batch per INSERT, into Parquet tables written aside; or, with a folder
        both see (spark_shared_dir), as a Parquet file each table that one INSERT reads."""
        import_engine_module("pyhive.hive", target)
        from pyhive.exc import Error as HiveError
        from thrift.Thrift import TException

        errors = (HiveError, TException, OSError)
        try:
            con = connect_spark_thrift(target, "default")
        except errors as exc:
            raise UserError(f"cannot connect to {target['location']}: {first_line(exc)}") from None
        shared = None if self.spark_shared_dir is None else tempfile.mkdtemp(prefix="rfm-load-", dir=self.spark_shared_dir)
        try:
            with contextlib.closing(con.cursor()) as cur:
                # Spark replaces ${name} in SQL text by a setting's value: a customer's text must stay as typed.
                cur.execute("SET spark.sql.variable.substitute=false")
                cur.execute(f"CREATE DATABASE IF NOT EXISTS {spark_ident(schema)}")

                def has_load_ids(spec: TableSpec) -> bool:
                    cur.execute(f"SHOW TABLES IN {spark_ident(schema)} LIKE '{spec.name}'")
                    if not cur.fetchall():
                        return False
                    cur.execute(f"SELECT * FROM {spark_ident(schema, spec.name)} LIMIT 0")
                    return LOAD_ID in [d[0].rsplit(".", 1)[-1] for d in cur.description]  # PyHive says `table.column`

                def latest(spec: TableSpec) -> int | None:
                    cur.execute(f"SELECT max({LOAD_ID}) FROM {spark_ident(schema, spec.name)}")
                    return cur.fetchone()[0]

                self.stamp([spec for spec in STAMPED if has_load_ids(spec)], latest, f"{target['location']} {schema}")
                for spec in self.tables:
                    loading = spark_ident(schema, f"{spec.name}__loading")
                    written = written_columns(spec, "STRING", "BIGINT")
                    cur.execute(f"DROP TABLE IF EXISTS {loading}")
                    cur.execute(f"CREATE TABLE {loading} ({', '.join(f'{spark_ident(c)} {t}' for c, t in written)})"
                                " USING parquet")
                    names = ", ".join(spark_ident(c) for c, _ in written)
                    if self.appends(spec):
                        cur.execute(f"INSERT INTO {loading} SELECT {names} FROM {spark_ident(schema, spec.name)}")
                    if shared is None:
                        for values in self._spark_values(spec):
                            cur.execute(f"INSERT INTO {loading} VALUES {values}")
                    else:
                        file = self.staged_parquet(spec, Path(shared))
                        cur.execute(f"INSERT INTO {loading} SELECT {names} FROM parquet.`{file}`")
                self._swap_in(cur.execute, schema)
        except errors as exc:
            raise UserError(f"cannot write the raw tables in {target['location']}: {first_line(exc)}") from None
        finally:
            con.close()
            if shared is not None:
                shutil.rmtree(shared, ignore_errors=True)


REPLACERS: dict[str, Callable[[Loader, dict[str, Any], str], None]] = {
    "duckdb": Loader.replace_raw_duckdb,
    "postgres": Loader.replace_raw_postgres,
    "spark": Loader.replace_raw_spark,
}


def schema_name(value: str) -> str:
    """The raw schema: a plain identifier, like var rfm_raw_schema (macros/rfm_vars.sql) that reads it."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", value):
        raise argparse.ArgumentTypeError(f"must be a schema name (letters, digits and _, at most 63), got {value!r}")
    return value


def shared_dir(value: str) -> Path:
    """An existing folder whose path Spark SQL can quote (parquet.`path`)."""
    path = Path(value).resolve()
    if not path.is_dir() or "`" in str(path):
        raise argparse.ArgumentTypeError(f"must be an existing folder without a backtick in its path, got {value!r}")
    return path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = rfm_cli.ArgumentParser(
        description="Load orders and customers files (.csv, .csv.gz, .parquet) into the raw schema of the "
        "dbt target, every column as text. Every file is validated before anything is written."
    )
    parser.add_argument("--orders", required=True, metavar="FILE", help="orders file")
    parser.add_argument("--customers", metavar="FILE",
                        help="customers file; required unless --append (then leaving it out keeps raw.customers as it is)")
    parser.add_argument(
        "--email-events", metavar="FILE",
        help="optional email events file (customer_id, event_type, occurred_at): replaces raw.email_events, with"
        " --append too",
    )
    parser.add_argument(
        "--append", action="store_true",
        help="add the files' rows to raw.orders and raw.customers (a day's new orders, new and changed customers)"
        " under a new load_id instead of replacing them; a file with no data rows appends nothing; email events"
        " are replaced as usual",
    )
    parser.add_argument(
        "--column-map", metavar="FILE",
        help="YAML file whose rfm_column_map gives, per table, the files' names of contract columns"
        " (orders: {order_id: id}); the same file can be passed to dbt as --vars",
    )
    rfm_cli.add_target_options(parser)
    parser.add_argument("--schema", default="raw", type=schema_name, help="schema of the raw tables (default: raw)")
    parser.add_argument("--delimiter", type=parse_delimiter, help="CSV delimiter (default: sniffed); '\\t' for tab")
    parser.add_argument(
        "--spark-shared-dir", type=shared_dir, metavar="DIR",
        help="Spark through Thrift: a folder this machine writes and the cluster reads at the same path, as the same"
        " user (a cluster on this machine, a shared mount); the rows go as Parquet files instead of SQL literals",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.customers is None and not args.append:
        raise UserError("--customers is required (it may be left out only with --append: no customer changes)")
    target = resolve_target(args.profiles_dir, args.target)
    if args.spark_shared_dir is not None and (target["type"], target.get("method")) != ("spark", "thrift"):
        raise UserError(f"--spark-shared-dir is for a Spark target with `method: thrift`; target"
                        f" '{target['target_name']}' is {target['type']}")
    settings = {k: str(v) for k, v in target.get("settings", {}).items()}
    try:
        con = duckdb.connect(":memory:", config=settings)
    except duckdb.Error as exc:
        raise UserError(f"target '{target['target_name']}': bad DuckDB settings: {duckdb_cause(exc)[1]}") from None
    try:
        given = ((ORDERS, args.orders), (CUSTOMERS, args.customers), (EMAIL_EVENTS, args.email_events))
        files = tuple((spec, path) for spec, path in given if path is not None)
        specs = tuple(spec for spec, _ in files)
        column_map = read_column_map(args.column_map) if args.column_map else None
        loader = Loader(con, args.delimiter, specs, args.append, column_map, args.spark_shared_dir)
        for spec, path in files:
            loader.precheck(spec, path)
        counts = {spec.name: loader.stage(spec, path) for spec, path in files}
        REPLACERS[target["type"]](loader, target, args.schema)
    finally:
        con.close()
    appended = [f"{counts[spec.name]} rows to {args.schema}.{spec.name}" for spec in specs if loader.appends(spec)]
    loaded = [f"{counts[spec.name]} rows into {args.schema}.{spec.name}" for spec in specs if not loader.appends(spec)]
    done = [f"{verb} {' and '.join(parts)}" for verb, parts in (("appended", appended), ("loaded", loaded)) if parts]
    if CUSTOMERS not in specs:
        done.append(f"{args.schema}.customers left as it was")
    print(f"{', '.join(done)} (target {target['target_name']}: {target['type']} {target['location']})")
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
