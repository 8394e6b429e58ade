#!/usr/bin/env bash
# Apache Superset on 127.0.0.1 with the RFM dashboards loaded (docs/bi.md):
#   bash scripts/superset.sh            then open http://127.0.0.1:8088 (login: admin, password printed)
# Reads the published copy of the marts (run `dbt build` first). Installs requirements-superset.txt into
# .venv-superset when it changed; keeps Superset's own state in $RFM_SUPERSET_HOME (default .superset/).
# RFM_SUPERSET_PORT picks the port (8088). Runs in the foreground: Ctrl-C stops it.
set -euo pipefail
source "$(dirname "$0")/_env.sh"
export RFM_SUPERSET_HOME="${RFM_SUPERSET_HOME:-$PWD/.superset}"
port="${RFM_SUPERSET_PORT:-8088}"
venv="$PWD/.venv-superset"

if [ ! -x "$venv/bin/superset" ] || ! cmp -s requirements-superset.txt "$venv/.installed"; then
    echo "==> installing requirements-superset.txt into .venv-superset (about a minute the first time)" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-superset.txt \
        || { echo "error: pip could not install requirements-superset.txt" >&2; exit 1; }
    cp requirements-superset.txt "$venv/.installed"
fi

mkdir -p "$RFM_SUPERSET_HOME"
chmod 700 "$RFM_SUPERSET_HOME"
for secret in secret_key admin_password; do
    [ -s "$RFM_SUPERSET_HOME/$secret" ] || python -c 'import secrets; print(secrets.token_urlsafe(32))' \
        > "$RFM_SUPERSET_HOME/$secret"
done
python scripts/superset_bundle.py --out "$RFM_SUPERSET_HOME/rfm_dashboards.zip"

export SUPERSET_CONFIG_PATH="$PWD/scripts/superset_config.py" FLASK_APP=superset
superset() { "$venv/bin/superset" "$@"; }
echo "==> preparing Superset's metadata in $RFM_SUPERSET_HOME" >&2
superset db upgrade >"$RFM_SUPERSET_HOME/setup.log" 2>&1 \
    || { echo "error: superset db upgrade failed, see $RFM_SUPERSET_HOME/setup.log" >&2; exit 1; }
superset fab create-admin --username admin --firstname RFM --lastname Admin --email admin@localhost \
    --password "$(cat "$RFM_SUPERSET_HOME/admin_password")" >>"$RFM_SUPERSET_HOME/setup.log" 2>&1
superset init >>"$RFM_SUPERSET_HOME/setup.log" 2>&1 \
    || { echo "error: superset init failed, see $RFM_SUPERSET_HOME/setup.log" >&2; exit 1; }
superset import-dashboards -p "$RFM_SUPERSET_HOME/rfm_dashboards.zip" -u admin >>"$RFM_SUPERSET_HOME/setup.log" 2>&1 \
    || { echo "error: the dashboards did not import, see $RFM_SUPERSET_HOME/setup.log" >&2; exit 1; }
echo "==> Superset on http://127.0.0.1:$port (user admin, password in $RFM_SUPERSET_HOME/admin_password)" >&2
exec "$venv/bin/superset" run -h 127.0.0.1 -p "$port" --with-threads
