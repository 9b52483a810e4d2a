#!/usr/bin/env bash
# What the tests need beyond .venv (`make test` runs this; `make run` does not): the tests
# start a throw-away PostgreSQL server (tests/postgres.py), so Debian's package is installed
# when it is missing and this machine can install it (root, apt-get: CI, a container).
# Elsewhere those tests are skipped, saying why; the bot itself needs no PostgreSQL.
set -euo pipefail
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL (for the tests)…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "note: PostgreSQL is not installed; its tests will be skipped (apt-get install postgresql)"
  fi
fi
