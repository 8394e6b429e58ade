# Sourced by scripts/test.sh: a throw-away PostgreSQL server on 127.0.0.1 for one test run.
#   engine_start  initdb in a new temp dir, start on a free port, create database `rfm`, and export
#                 RFM_TARGET and RFM_PG_* for the `postgres` target of profiles.yml.example
#   engine_stop   stop the server and remove its files (a no-op when nothing was started)
# shellcheck source=scripts/engines/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

pg_dir=""
pg_bin=""
# PostgreSQL refuses to run as root: root runs it as the `postgres` user that Debian's package creates.
pg_as_owner=()
if [ "$(id -u)" -eq 0 ]; then pg_as_owner=(runuser -u postgres --); fi

pg_find_bin() {
    # Debian keeps the server programs out of PATH, in one folder per major version: take the newest.
    # Elsewhere, the folder of the initdb on PATH.
    local dir initdb
    initdb="$(command -v initdb || true)"
    for dir in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -rV) \
        ${initdb:+"$(dirname "$(readlink -f "$initdb")")"}; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/createdb" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

engine_start() {
    pg_bin="$(pg_find_bin)" || { rfm_apt_install postgresql && pg_bin="$(pg_find_bin)"; } || return 1
    # Not under test.sh's work dir: the server's user must be able to reach its files.
    pg_dir="$(mktemp -d -t rfm-postgres.XXXXXX)"
    if [ "${#pg_as_owner[@]}" -gt 0 ]; then chown postgres "$pg_dir"; fi
    local port
    port="$(rfm_free_port)"
    echo "==> starting PostgreSQL ($pg_bin) on 127.0.0.1:$port" >&2
    # An ICU default collation (PostgreSQL 15+), not C: results must not depend on it, as ties are broken
    # in byte order.
    "${pg_as_owner[@]}" "$pg_bin/initdb" --pgdata "$pg_dir/data" --username rfm --auth trust --encoding UTF8 \
        --locale C.UTF-8 --locale-provider icu --icu-locale en-US >"$pg_dir/initdb.log" \
        || { cat "$pg_dir/initdb.log" >&2; return 1; }
    # Durability is pointless for a server that lives for one test run.
    "${pg_as_owner[@]}" "$pg_bin/pg_ctl" --pgdata "$pg_dir/data" --log "$pg_dir/server.log" --wait start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off" >/dev/null \
        || { cat "$pg_dir/server.log" >&2; return 1; }
    "${pg_as_owner[@]}" "$pg_bin/createdb" --host 127.0.0.1 --port "$port" --username rfm rfm
    export RFM_TARGET=postgres RFM_PG_HOST=127.0.0.1 RFM_PG_PORT="$port" RFM_PG_USER=rfm RFM_PG_PASSWORD= \
        RFM_PG_DBNAME=rfm
}

engine_stop() {
    if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
        "${pg_as_owner[@]}" "$pg_bin/pg_ctl" --pgdata "$pg_dir/data" --mode fast --wait stop >/dev/null \
            || echo "warning: could not stop the PostgreSQL server of $pg_dir" >&2
    fi
    if [ -n "$pg_dir" ]; then rm -rf "$pg_dir"; fi
    pg_dir=""
}
