#!/usr/bin/env bash
# Makes the test suite's services available on this machine, installing them from Debian's
# packages when missing (root only): a PostgreSQL server on 127.0.0.1:5432 with a test role,
# and Chromium for the browser test. Prints the environment to use, e.g.
#   eval "$(bash scripts/services.sh)"
set -euo pipefail
log() { echo "services: $*" >&2; }
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list :lang=th 2>/dev/null | grep -q . || need+=(fonts-thai-tlwg)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need[*]} (apt)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
  else
    log "missing ${need[*]}; install them to run every test"
  fi
fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  cluster=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1" "$2}')
  if [ -z "$cluster" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    pg_createcluster "$ver" main >&2
    cluster="$ver main"
  fi
  # shellcheck disable=SC2086
  pg_ctlcluster $cluster start >&2 2>/dev/null || true
  for _ in $(seq 1 30); do
    su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  su postgres -c "psql -qtAc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='discretion_test')
    THEN CREATE ROLE discretion_test LOGIN SUPERUSER PASSWORD 'discretion_test'; END IF; END \\\$\\\$;\"" >&2
  echo "export DISCRETION_TEST_PG_URL=postgresql+psycopg://discretion_test:discretion_test@127.0.0.1:5432/postgres"
fi
if command -v chromium >/dev/null 2>&1; then
  echo "export DISCRETION_TEST_CHROMIUM=$(command -v chromium)"
fi
