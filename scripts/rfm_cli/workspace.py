"""An isolated place to build the project: its own DuckDB file, profiles dir, target and log paths and DuckDB
temp dir, so several builds (tests, the benchmark) never clash. The environment goes to the subprocesses,
never into os.environ, for the same reason."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from rfm_cli import PROJECT_ROOT

# dbt-duckdb names the catalog after the file stem and views reference it, so copies keep this name.
DB_FILE = "rfm.duckdb"
# The venv running this Python is the one whose dbt we want, whatever PATH says.
BIN_DIR = Path(sys.executable).parent


@dataclass
class Workspace:
    root: Path

    def __post_init__(self) -> None:
        for sub in ("profiles", "target", "logs", "duckdb_tmp", "input"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_ROOT / "profiles.yml.example", self.root / "profiles" / "profiles.yml")

    @property
    def db_path(self) -> Path:
        return self.root / DB_FILE

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "RFM_DUCKDB_PATH": str(self.db_path),
            "DBT_PROFILES_DIR": str(self.root / "profiles"),
            "RFM_DUCKDB_TEMP_DIR": str(self.root / "duckdb_tmp"),
            "DBT_USE_COLORS": "false",
            "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        env.pop("RFM_TARGET", None)  # a workspace builds the default (DuckDB) target
        return env
