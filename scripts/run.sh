#!/usr/bin/env bash
# The main job: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else a terminal chat over the
# corpus (the bundled article unless VERBATIM_CORPUS_DIR says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then
  exec .venv/bin/verbatim serve "$@"
fi
echo "TELEGRAM_BOT_TOKEN is not set: starting a terminal chat over the corpus instead." >&2
exec .venv/bin/verbatim chat "$@"
