#!/usr/bin/env bash
# Creates .venv in the checkout and installs Verbatim with its development tools.
# torch is installed first, pinned (a plain `torch` pulled in by sentence-transformers would
# be a multi-GB CUDA build). Where the package index serves CUDA builds under that version
# (public PyPI on Linux), set TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu to take
# the CPU build from PyTorch's own index, as the Dockerfile does.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ -n "${TORCH_INDEX_URL:-}" ]; then
  .venv/bin/python -m pip install --quiet "torch==2.13.0" --index-url "$TORCH_INDEX_URL"
else
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
fi
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The tests start a throw-away PostgreSQL server (tests/postgres.py): Debian's package, when
# it is missing and this machine can install it (root, apt-get: CI, a container). Elsewhere
# those tests are skipped, saying why; the bot itself needs no PostgreSQL.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL (for the tests)…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "note: PostgreSQL is not installed; its tests will be skipped (apt-get install postgresql)"
  fi
fi
echo "Verbatim is installed in .venv"
