"""The ``verbatim`` command (the entry point): the index's commands (``index.cli``) and the
bot's own — ``serve`` runs the Telegram bot; ``unanswered`` and ``feedback`` read what it
recorded (``bot.journal``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict

from bot import journal
from index.cli import (
    INDEX_COMMANDS,
    Commands,
    SubParsers,
    folder_options,
    positive,
    print_json,
    settings_of,
)
from index.cli import main as run_commands
from index.config import Settings
from index.errors import IndexLoadError


def _register(sub: SubParsers) -> None:
    for name, text in [
        ("unanswered", "the questions users asked that the documents did not answer"),
        ("feedback", "the 👍/👎 votes: totals, most down-voted passages, latest 👎 questions"),
    ]:
        report = sub.add_parser(name, help=text)
        folder_options(report, corpus=None)
        report.add_argument("--limit", type=positive, default=20, help="how many rows (default 20)")
        report.add_argument("--json", action="store_true", help="print JSON")

    serve = sub.add_parser("serve", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    folder_options(serve)
    serve.add_argument("--webhook-url", help="public HTTPS URL: webhook mode instead of polling")
    serve.add_argument("--listen", default="127.0.0.1", help="webhook listen address")
    serve.add_argument("--port", type=int, default=8443, help="webhook listen port")


def _run(args: argparse.Namespace) -> int | None:
    if args.command == "unanswered":
        return _cmd_unanswered(settings_of(args), args.limit, as_json=args.json)
    if args.command == "feedback":
        return _cmd_feedback(settings_of(args), args.limit, as_json=args.json)
    if args.command == "serve":
        from bot.app import run

        return run(settings_of(args), args.webhook_url, args.listen, args.port)
    return None


BOT_COMMANDS = Commands(_register, _run)


def main(argv: Sequence[str] | None = None) -> int:
    return run_commands(argv, [INDEX_COMMANDS, BOT_COMMANDS])


def _require_index_dir(settings: Settings) -> None:
    """The journals live in the index folder: a mistyped one is an error, not "no data"."""
    if not settings.index_dir.is_dir():
        raise IndexLoadError(
            f"no index folder {settings.index_dir} (VERBATIM_INDEX_DIR / --index): "
            "the bot writes its journals next to its index"
        )


def _cmd_unanswered(settings: Settings, limit: int, *, as_json: bool) -> int:
    _require_index_dir(settings)
    rows = journal.unanswered(settings.index_dir, limit)
    if as_json:
        print_json([{"count": n, "question": q, "last": t} for n, q, t in rows])
        return 0
    if not rows:
        print(f"no unanswered questions recorded in {settings.index_dir}")
        return 0
    print(f"{'times':>5}  {'last asked':20}  question")
    for n, question, last in rows:
        print(f"{n:5d}  {last:20}  {question}")
    return 0


def _cmd_feedback(settings: Settings, limit: int, *, as_json: bool) -> int:
    _require_index_dir(settings)
    summary = journal.feedback(settings.index_dir, limit)
    if as_json:
        print_json(asdict(summary))
        return 0
    print(f"👍 {summary.up}   👎 {summary.down}")
    if summary.worst:
        print("\nmost down-voted passages (down, up, passage id):")
        for down, up, passage in summary.worst:
            print(f"  {down:4d} {up:4d}  {passage}")
    if summary.recent_down:
        print("\nlatest 👎 questions:")
        for question in summary.recent_down:
            print(f"  {question}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
