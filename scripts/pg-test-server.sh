#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `initdb` + `pg_ctl` in a temporary folder, listening on
# 127.0.0.1 and a unix socket in that folder. Installs nothing (scripts/install-ci-tools.sh does).
#
#   eval "$(bash scripts/pg-test-server.sh start)"   # starts it; prints `export CHARTER_TEST_DATABASE_URL=…`
#   bash scripts/pg-test-server.sh stop              # stops it and deletes its folder
#
# Settings (environment): CHARTER_PG_DIR (default ${TMPDIR:-/tmp}/charter-pg-test), CHARTER_PG_PORT
# (default 55432), CHARTER_PG_BIN (default: the newest /usr/lib/postgresql/*/bin). As root, the server
# runs as the `postgres` user (initdb refuses root); the folder is chown-ed to it.
set -euo pipefail

action=${1:-}
dir=${CHARTER_PG_DIR:-${TMPDIR:-/tmp}/charter-pg-test}
port=${CHARTER_PG_PORT:-55432}
bin=${CHARTER_PG_BIN:-}
if [ -z "$bin" ]; then
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ]; then
      bin=$candidate
      break
    fi
  done
fi

say() { echo "pg-test-server: $*" >&2; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url="postgresql://charter@127.0.0.1:${port}/postgres"

case "$action" in
  start)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      say "no PostgreSQL server binaries (initdb) found: install Debian's postgresql package (scripts/install-ci-tools.sh does) or set CHARTER_PG_BIN"
      exit 1
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      say "running as root but there is no 'postgres' user to run the server as (initdb refuses root): install the postgresql package"
      exit 1
    fi
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      say "already running in $dir on port $port"
    else
      rm -rf "$dir"
      mkdir -p "$dir"
      if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
      as_owner "$bin/initdb" -D "$dir/data" -U charter --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 ||
        {
          cat "$dir/initdb.log" >&2
          say "initdb failed"
          exit 1
        }
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null ||
        {
          cat "$dir/server.log" >&2
          say "the server did not start (port $port taken? set CHARTER_PG_PORT)"
          exit 1
        }
      say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running in $dir on 127.0.0.1:$port"
    fi
    echo "export CHARTER_TEST_DATABASE_URL=$url"
    ;;
  stop)
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || say "pg_ctl stop failed (already stopped?)"
    fi
    rm -rf "$dir"
    say "stopped"
    ;;
  *)
    echo "usage: bash scripts/pg-test-server.sh start|stop" >&2
    exit 2
    ;;
esac
