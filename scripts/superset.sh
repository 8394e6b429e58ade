#!/usr/bin/env bash
# Apache Superset on 127.0.0.1 with the RFM dashboards loaded (docs/bi.md):
#   bash scripts/superset.sh            then open http://127.0.0.1:8088 (login: admin, password printed)
# Reads the published copy of the marts (run `dbt build` first). Installs requirements-superset.txt into
# .venv-superset when it changed; keeps Superset's own state in $RFM_SUPERSET_HOME (default .superset/).
# RFM_SUPERSET_PORT picks the port (8088). Runs in the foreground: Ctrl-C stops it.
#   bash scripts/superset.sh --install-only     only the install (scripts/test_extras.sh)
set -euo pipefail
install_only="${1:-}"
cd "$(dirname "$0")/.."
venv="$PWD/.venv-superset"

# Superset's own venv only, so that scripts/test_extras.sh can install it while .venv installs.
if [ ! -x "$venv/bin/superset" ] || ! cmp -s requirements-superset.txt "$venv/.installed"; then
    echo "==> installing requirements-superset.txt into .venv-superset (about a minute the first time)" >&2
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-superset.txt \
        || { echo "error: pip could not install requirements-superset.txt" >&2; exit 1; }
    cp requirements-superset.txt "$venv/.installed"
fi
if [ "$install_only" = --install-only ]; then exit 0; fi

# a sourced script sees the caller's arguments: _env.sh would take them for requirement files
set --
source scripts/_env.sh
export RFM_SUPERSET_HOME="${RFM_SUPERSET_HOME:-$PWD/.superset}"
port="${RFM_SUPERSET_PORT:-8088}"

mkdir -p "$RFM_SUPERSET_HOME"
chmod 700 "$RFM_SUPERSET_HOME"
for secret in secret_key admin_password; do
    [ -s "$RFM_SUPERSET_HOME/$secret" ] || python -c 'import secrets; print(secrets.token_urlsafe(32))' \
        > "$RFM_SUPERSET_HOME/$secret"
done
python scripts/superset_bundle.py --out "$RFM_SUPERSET_HOME/rfm_dashboards.zip"

export SUPERSET_CONFIG_PATH="$PWD/scripts/superset_config.py" FLASK_APP=superset
log="$RFM_SUPERSET_HOME/setup.log"
: >"$log"
# One setup step of Superset's; on failure, the end of its log and exit 1.
step() {
    local what="$1"
    shift
    "$venv/bin/superset" "$@" >>"$log" 2>&1 && return 0
    grep -v -e '^ ' -e 'Warning' "$log" | tail -n 5 >&2
    echo "error: $what failed (superset $1), full log: $log" >&2
    exit 1
}
echo "==> preparing Superset's metadata in $RFM_SUPERSET_HOME" >&2
step "upgrading Superset's metadata" db upgrade
# Makes the admin user on the first run; afterwards it only says the user exists.
"$venv/bin/superset" fab create-admin --username admin --firstname RFM --lastname Admin --email admin@localhost \
    --password "$(cat "$RFM_SUPERSET_HOME/admin_password")" >>"$log" 2>&1 || true
# `superset init` syncs the roles (slow): only when Superset or the public-role setting changed since the last one.
init_stamp="$(cat requirements-superset.txt; echo "public=${RFM_SUPERSET_PUBLIC_DASHBOARDS:-0}")"
if [ "$(cat "$RFM_SUPERSET_HOME/.init_done" 2>/dev/null)" != "$init_stamp" ]; then
    step "setting up roles" init
    printf '%s' "$init_stamp" >"$RFM_SUPERSET_HOME/.init_done"
fi
step "importing the dashboards" import-dashboards -p "$RFM_SUPERSET_HOME/rfm_dashboards.zip" -u admin
echo "==> Superset on http://127.0.0.1:$port (user admin, password in $RFM_SUPERSET_HOME/admin_password)" >&2
exec "$venv/bin/superset" run -h 127.0.0.1 -p "$port" --with-threads
