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
echo "Verbatim is installed in .venv"
