#!/usr/bin/env python3
"""Zip the dashboards-as-code bundle (bi/superset/) for `superset import-dashboards`.

The bundle's database points at RFM_PUBLISHED_PATH; the zip gets the published copy of the marts instead
(docs/bi.md): the profile's target, or --database.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import rfm_cli
from rfm_cli import PROJECT_ROOT, UserError
from rfm_cli.profile import resolve_target

BUNDLE = PROJECT_ROOT / "bi" / "superset"
PLACEHOLDER = "RFM_PUBLISHED_PATH"


def published_database(profiles_dir: str | None, target: str | None) -> Path:
    resolved = resolve_target(profiles_dir, target)
    if resolved["type"] != "duckdb" or not resolved["published_path"]:
        raise UserError(f"target '{resolved['target_name']}' is not a DuckDB file: pass --database")
    return Path(resolved["published_path"])


def write_bundle(database: Path, out: Path) -> int:
    """Write the zip (files under one top folder, as Superset expects); returns the number of files."""
    path_text = str(database.resolve())
    # SQLAlchemy ends a URL's database at the first `?`; the rest is escaped for the double-quoted YAML value
    if "?" in path_text:
        raise UserError(f"{path_text!r}: a database path with `?` cannot be written in a SQLAlchemy URL: rename it")
    escaped = json.dumps(path_text, ensure_ascii=False)[1:-1]
    files = sorted(p for p in BUNDLE.rglob("*.yaml"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in files:
            text = path.read_text(encoding="utf-8").replace(PLACEHOLDER, escaped)
            bundle.writestr(f"rfm_dashboards/{path.relative_to(BUNDLE)}", text)
    return len(files)


def main(argv: Sequence[str] | None = None) -> int:
    parser = rfm_cli.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="zip file to write")
    parser.add_argument("--database", type=Path, help="DuckDB file of the marts (default: the published copy)")
    rfm_cli.add_target_options(parser)
    args = parser.parse_args(argv)
    database = args.database or published_database(args.profiles_dir, args.target)
    if not database.is_file():
        raise UserError(f"{database} does not exist (run `dbt build` first: it publishes the marts)")
    count = write_bundle(database, args.out)
    print(f"wrote {args.out} ({count} files, marts from {database})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    rfm_cli.run(main)
