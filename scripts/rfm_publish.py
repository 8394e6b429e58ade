"""dbt-duckdb plugin (profiles.yml.example): lets the on-run-end hook `rfm_publish_marts` swap files.

DuckDB SQL can write a new database file (ATTACH, CREATE TABLE AS, DETACH) but cannot rename one. The hook
writes the marts to `<published>.next` and calls rfm_replace_file to rename it over the published copy: one
rename, so a reader opens either the previous copy or the new one, never half of each, and a reader that
holds the previous copy open keeps reading it (docs/bi.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from rfm_cli.profile import published_path


def replace_file(source: str, destination: str) -> str:
    """Rename source over destination once its bytes are on disk, so a crash never publishes a torn file."""
    with open(source, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(source, destination)
    return destination


def remove_file(path: str) -> bool:
    """Remove a leftover of an interrupted publish (its WAL too); True when there was one."""
    found = False
    for leftover in (Path(path), Path(path + ".wal")):
        if leftover.exists():
            leftover.unlink()
            found = True
    return found


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.published = published_path(self.creds.path if self.creds else "", plugin_config.get("published_path"))

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.create_function("rfm_published_path", lambda: self.published, [], "VARCHAR", side_effects=True)
        conn.create_function("rfm_remove_file", remove_file, ["VARCHAR"], "BOOLEAN", side_effects=True)
        conn.create_function("rfm_file_exists", os.path.exists, ["VARCHAR"], "BOOLEAN", side_effects=True)
        conn.create_function("rfm_replace_file", replace_file, ["VARCHAR", "VARCHAR"], "VARCHAR", side_effects=True)
