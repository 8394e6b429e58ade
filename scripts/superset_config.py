"""Superset configuration for `bash scripts/superset.sh` (SUPERSET_CONFIG_PATH points here).

Everything Superset keeps (its SQLite metadata, the secret key) lives in $RFM_SUPERSET_HOME, created by the
launcher; the marts themselves are only read, from the published copy (docs/bi.md).
"""

import os
from pathlib import Path

_home = Path(os.environ["RFM_SUPERSET_HOME"])
SECRET_KEY = (_home / "secret_key").read_text(encoding="utf-8").strip()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{_home / 'superset.db'}"
# Local, single-user: no rate-limit storage server, no example data, no telemetry.
RATELIMIT_STORAGE_URI = "memory://"
SUPERSET_LOAD_EXAMPLES = False
# The browser test only (tests/python/test_superset.py): anonymous visitors of this loopback instance see
# the dashboards, so headless Chromium needs no login. Never set it for a shared instance.
if os.environ.get("RFM_SUPERSET_PUBLIC_DASHBOARDS") == "1":
    PUBLIC_ROLE_LIKE = "Admin"
