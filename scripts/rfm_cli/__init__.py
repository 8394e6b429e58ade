"""What every script under scripts/ shares: user errors as one `error: ...` line on stderr with exit 2
(never a traceback), and the common options under the same names (--target, --profiles-dir, --database,
--schema, --out). rfm_cli.marts reads the marts on every engine.

    parser = rfm_cli.ArgumentParser(description="...")
    rfm_cli.add_target_options(parser)
    ...
    if __name__ == "__main__":
        rfm_cli.run(main)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_START = time.monotonic()


def progress(message: str) -> None:
    """A step of long work on stderr, with the seconds since the script started."""
    print(f"[{time.monotonic() - _START:5.1f}s] {message}", file=sys.stderr)


class UserError(Exception):
    """A mistake in the user's options, files or target: printed as one `error: ...` line, exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (`error: --x: ...`, exit 2) rather than usage plus error."""

    def error(self, message: str) -> NoReturn:
        raise SystemExit(_fail(f"{message} (see --help)"))


def _fail(message: str) -> int:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> NoReturn:
    """Exit with main's code; a UserError, or an OSError on a file the user named, is one line and exit 2.

    Any other exception is a bug and keeps its traceback."""
    try:
        code = main(argv)
    except UserError as exc:
        code = _fail(str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        code = _fail(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        code = _fail("interrupted")
    sys.exit(code)


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """--target and --profiles-dir: which dbt target of profile `rfm` the script reads or writes."""
    parser.add_argument("--target", help="dbt target (default: the profile's target)")
    parser.add_argument("--profiles-dir", help="folder of profiles.yml (default: $DBT_PROFILES_DIR, else the project root)")


def add_marts_options(parser: argparse.ArgumentParser) -> None:
    """Where a script reads the marts (rfm_cli.marts.target_of): the profile's target, or a DuckDB file."""
    add_target_options(parser)
    parser.add_argument("--database", type=Path,
                        help="DuckDB file holding the marts (default: the target's marts; on DuckDB its published copy)")
    parser.add_argument("--schema", help="schema of the marts (default: the target's; main with --database)")


def iso_date(value: str) -> date:
    """An argparse type: a real date YYYY-MM-DD from year 1900 on (dates before it are never data)."""
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got {value!r}") from None
    if parsed.year < 1900:
        raise argparse.ArgumentTypeError(f"must be a date from 1900 on, got {value!r}")
    return parsed


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from low to high."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low:,} to {high:,}, got {value!r}")
        return number

    return parse


def share(above_zero: bool = False) -> Callable[[str], float]:
    """An argparse type: a share from 0 (or, above_zero, more than 0) to 1."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not (0 < number <= 1 if above_zero else 0 <= number <= 1):  # nan fails both
            raise argparse.ArgumentTypeError(f"must be a share {'above' if above_zero else 'from'} 0, at most 1, "
                                             f"got {value!r}")
        return number

    return parse


def writable_file(path: Path) -> Path:
    """path, its folder created: a UserError when it is a folder or cannot be written."""
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the folder of {path}: {exc.strerror or exc}") from None
    return path
