#!/usr/bin/env python3
"""Load orders and customers files into the raw tables of the dbt target, as text.

Both files are read and checked completely in an in-memory DuckDB first; only then are
<schema>.orders and <schema>.customers replaced, together, in one transaction. A user error
prints one `error: ...` line and exits with 2, leaving the existing raw tables untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _profile import ProfileError, resolve_target  # noqa: E402


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[str, ...]  # in the order of docs/rules.md section 1
    required: int  # the first `required` columns are required


ORDERS = TableSpec(
    "orders",
    ("order_id", "customer_id", "ordered_at", "order_total", "status", "currency", "refund_of_order_id"),
    4,
)
CUSTOMERS = TableSpec(
    "customers",
    ("customer_id", "email", "first_name", "created_at", "country", "accepts_marketing"),
    1,
)
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
    (r"too small to be a Parquet file|No magic bytes", "not a valid Parquet file"),
)


class UserError(Exception):
    """Printed as one `error: ...` line, exit code 2."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
        # Contract format 'YYYY-MM-DD HH:MM:SS[.ffffff]'; instants are written in UTC, no zone.
        ts = f"timezone('UTC', {col})" if "TIME ZONE" in t else f"{col}::TIMESTAMP"
        return f"regexp_replace(strftime({ts}, '%Y-%m-%d %H:%M:%S.%f'), '\\.000000$', '')"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        # Shortest repr, then plain decimal text (no exponent); NaN/inf stay as DuckDB spells them.
        plain = f"regexp_replace(try_cast({col}::VARCHAR AS DECIMAL(38, 10))::VARCHAR, '\\.?0+$', '')"
        return f"coalesce({plain}, {col}::VARCHAR)"
    return f"{col}::VARCHAR"


def parse_delimiter(value: str) -> str:
    value = {"\\t": "\t", "tab": "\t"}.get(value, value)
    if len(value) != 1:
        raise argparse.ArgumentTypeError("must be one character (use '\\t' for tab)")
    return value


class Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, delimiter: str | None) -> None:
        self.con = con
        self.delimiter = delimiter

    @staticmethod
    def precheck(spec: TableSpec, path_arg: str) -> None:
        """Cheap checks, run on both files before reading either."""
        label = f"{spec.name} file {path_arg}"
        path = Path(path_arg)
        if not path.name.lower().endswith((".csv", ".csv.gz", ".parquet")):
            raise UserError(f"{label}: unsupported extension (expected .csv, .csv.gz or .parquet)")
        if not path.is_file():
            raise UserError(f"{label}: no such file")
        if path.stat().st_size == 0:
            raise UserError(f"{label}: file is empty")

    def stage(self, spec: TableSpec, path_arg: str) -> int:
        """Read one file fully into table stage_<name>; return its row count."""
        label = f"{spec.name} file {path_arg}"
        path = Path(path_arg)
        if path.name.lower().endswith(".parquet"):
            source, params = "read_parquet(?)", [str(path)]
            found = [(str(name), str(typ)) for name, typ, *_ in self._run(label, f"DESCRIBE SELECT * FROM {source}", params)]
            exprs = [(name, text_expr(name, typ)) for name, typ in found]
        else:
            delimiter, header_line, names = self._csv_header(label, path)
            if not any(n.strip().lower() == spec.columns[0] for n in names):
                self._check_delimiter(label, header_line, delimiter)
            # We parse the header ourselves and hand DuckDB positional names: no sniffing (which may
            # skip "odd" leading rows) and no user text in SQL. Strict RFC 4180: a malformed row is an
            # error with its line number, never skipped or padded.
            struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
            source = (
                f"read_csv(?, auto_detect = false, header = true, columns = {{{struct}}}, delim = ?,"
                " quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8')"
            )
            params = [str(path), delimiter]
            exprs = [(name, f"c{i}") for i, name in enumerate(names)]

        columns: dict[str, str] = {}
        for name, expr in exprs:
            key = name.strip().lower()
            if key in columns:
                raise UserError(f"{label}: column {key!r} appears twice")
            columns[key] = expr
        missing = [c for c in spec.columns[: spec.required] if c not in columns]
        if missing:
            found_names = ", ".join(name.strip() for name, _ in exprs)
            raise UserError(f"{label}: missing required column '{missing[0]}' (found: {found_names})")
        extra = [name.strip() for name, _ in exprs if name.strip().lower() not in spec.columns]
        if extra:
            print(f"warning: {label}: ignoring unknown columns: {', '.join(extra)}", file=sys.stderr)

        select = ", ".join(f"{columns.get(c, 'NULL::VARCHAR')} AS {quote_ident(c)}" for c in spec.columns)
        self._run(label, f"CREATE OR REPLACE TABLE stage_{spec.name} AS SELECT {select} FROM {source}", params)
        (count,) = self._run(label, f"SELECT count(*) FROM stage_{spec.name}", [])[0]
        if count == 0:
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
        try:
            return self.con.execute(sql, params).fetchall()
        except FILE_ERRORS as exc:
            line, cause = duckdb_cause(exc)
            where = f"{label}, line {line}" if line is not None else label
            raise UserError(f"{where}: {cause}") from None

    def replace_raw(self, database: str, schema: str) -> None:
        """Swap both raw tables in one transaction of the target database."""
        try:
            self.con.execute("ATTACH ? AS rfm_target", [database])
        except FILE_ERRORS + (duckdb.ResourceInUseException, duckdb.PermissionException) as exc:
            raise UserError(f"cannot open DuckDB database {database}: {duckdb_cause(exc)[1]}") from None
        target = f"rfm_target.{quote_ident(schema)}"
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {target}")
            for spec in (ORDERS, CUSTOMERS):
                self.con.execute(f"CREATE OR REPLACE TABLE {target}.{spec.name} AS SELECT * FROM stage_{spec.name}")
            self.con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.TransactionException):  # a failed COMMIT has rolled back already
                self.con.execute("ROLLBACK")
            # e.g. a view already named raw.orders, a full disk: the user's to fix.
            if isinstance(exc, FILE_ERRORS + (duckdb.CatalogException,)):
                raise UserError(f"cannot replace the raw tables in {database}: {duckdb_cause(exc)[1]}") from None
            raise
        finally:
            self.con.execute("DETACH rfm_target")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load orders and customers files (.csv, .csv.gz, .parquet) into the raw schema of the "
        "dbt target, every column as text. Both files are validated before anything is replaced."
    )
    parser.add_argument("--orders", required=True, metavar="FILE", help="orders file")
    parser.add_argument("--customers", required=True, metavar="FILE", help="customers file")
    parser.add_argument("--target", help="dbt target (default: the profile's target)")
    parser.add_argument("--profiles-dir", help="folder of profiles.yml (default: $DBT_PROFILES_DIR, else the project root)")
    parser.add_argument("--schema", default="raw", help="schema of the raw tables (default: raw)")
    parser.add_argument("--delimiter", type=parse_delimiter, help="CSV delimiter (default: sniffed); '\\t' for tab")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        target = resolve_target(args.profiles_dir, args.target)
        settings = {k: str(v) for k, v in target.get("settings", {}).items()}
        try:
            con = duckdb.connect(":memory:", config=settings)
        except duckdb.Error as exc:
            raise UserError(f"target '{target['target_name']}': bad DuckDB settings: {duckdb_cause(exc)[1]}") from None
        try:
            loader = Loader(con, args.delimiter)
            files = ((ORDERS, args.orders), (CUSTOMERS, args.customers))
            for spec, path in files:
                loader.precheck(spec, path)
            counts = {spec.name: loader.stage(spec, path) for spec, path in files}
            loader.replace_raw(target["path"], args.schema)
        finally:
            con.close()
    except (UserError, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"loaded {counts['orders']} rows into {args.schema}.orders and {counts['customers']} rows into "
        f"{args.schema}.customers (target {target['target_name']}: {target['type']} {target['path']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
