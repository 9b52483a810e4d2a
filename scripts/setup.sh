#!/usr/bin/env bash
# Creates .venv in the checkout and installs Verbatim with its development tools.
# torch is installed first, pinned to the CPU build (a plain `torch` pulled in by
# sentence-transformers would be a multi-GB CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "Verbatim is installed in .venv"
