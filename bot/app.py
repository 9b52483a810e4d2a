"""Builds the python-telegram-bot Application and runs it (``verbatim serve``).

The bot talks to whatever Bot API server ``TELEGRAM_API_BASE_URL`` names (PTB's ``base_url``):
api.telegram.org by default, a self-hosted server, or the tests' fake one.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import handlers
from bot.config import BotSettings, load_bot_settings
from bot.examples import example_questions
from bot.service import AnswerService
from index.config import Settings
from index.embedding import Embedder
from index.errors import ConfigError

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "what I am and what I know"),
    BotCommand("help", "how to ask"),
    BotCommand("sources", "the documents I quote"),
    BotCommand("reset", "forget our conversation"),
    BotCommand("ask", "ask a question (in groups)"),
]


class RedactSecrets(logging.Filter):
    """Removes the bot token and webhook secret from every log record, whatever logs it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in secrets if s)) if any(secrets) else None
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        message = record.getMessage()
        if self._pattern.search(message):
            record.msg = self._pattern.sub("[REDACTED]", message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self._pattern.search(text):
                record.exc_text = self._pattern.sub("[REDACTED]", text)
                record.exc_info = None
                record.msg = f"{record.msg}\n{record.exc_text}"
        return True


class SkipUnreadableUpdates(HTTPXRequest):
    """The request ``getUpdates`` goes through. An update python-telegram-bot cannot read (a
    newer or older Bot API than it expects: PTB 22.8 requires fields Bot API 9.6 added to
    polls) would fail the whole batch; PTB then fetches the same batch again, forever, and the
    bot stops answering. Here such an update becomes an empty one (its ``update_id`` only, which
    no handler matches) with a warning, and the others go on."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        data = HTTPXRequest.parse_json_payload(payload)
        if isinstance(data.get("result"), list):
            data["result"] = [readable_update(raw) for raw in data["result"]]
        return data


def readable_update(raw: Any) -> Any:
    """``raw`` if PTB can read it as an Update, else ``{"update_id": ...}`` (see above)."""
    if not isinstance(raw, dict) or "update_id" not in raw:
        return raw
    try:
        Update.de_json(raw, None)
    except Exception as exc:
        kinds = ",".join(sorted(k for k in raw if k != "update_id")) or "nothing"
        log.warning("skipped update %s (%s) that cannot be read: %s", raw["update_id"], kinds, exc)
        return {"update_id": raw["update_id"]}
    return raw


def install_redaction(bot_settings: BotSettings) -> None:
    secrets = [bot_settings.token.get_secret_value()]
    if bot_settings.webhook_secret is not None:
        secrets.append(bot_settings.webhook_secret.get_secret_value())
    redactor = RedactSecrets(secrets)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(redactor)
    # httpx logs every request URL, which contains the token: keep it at WARNING.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def build_application(
    settings: Settings, bot_settings: BotSettings, embedder: Embedder | None = None
) -> Application:  # type: ignore[type-arg]
    service = AnswerService(settings, embedder)

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await service.start(bot_settings.reload_seconds)
        app.bot_data[handlers.SERVICE] = service
        app.bot_data[handlers.SETTINGS] = bot_settings
        import asyncio

        try:
            app.bot_data[handlers.EXAMPLES] = await asyncio.to_thread(
                example_questions, service.engine
            )
        except Exception:
            log.exception("could not draw example questions")
        try:
            await app.bot.set_my_commands(COMMANDS)
        except Exception as exc:  # a server without the method must not stop the bot
            log.warning("set_my_commands failed: %s", exc)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        await service.stop()

    builder = (
        Application.builder()
        .token(bot_settings.token.get_secret_value())
        .concurrent_updates(64)
        .rate_limiter(
            AIORateLimiter(overall_max_rate=bot_settings.max_messages_per_second, max_retries=3)
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .connect_timeout(10)
        .read_timeout(20)
        .write_timeout(20)
        .pool_timeout(10)
        .connection_pool_size(64)
        .get_updates_request(SkipUnreadableUpdates())
    )
    if bot_settings.base_url:
        builder = builder.base_url(bot_settings.base_url)
    if bot_settings.base_file_url:
        builder = builder.base_file_url(bot_settings.base_file_url)
    app = builder.build()
    app.bot_data[handlers.SERVICE] = service
    app.bot_data[handlers.SETTINGS] = bot_settings

    text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", handlers.on_start, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("help", handlers.on_help, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("sources", handlers.on_sources, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("reset", handlers.on_reset, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("ask", handlers.on_ask_command, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("reindex", handlers.on_reindex, filters.UpdateType.MESSAGE))
    # Any other command: a pointer to /help (after the real ones, which take precedence).
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, handlers.on_unknown_command)
    )
    app.add_handler(MessageHandler(text, handlers.on_text))
    app.add_handler(
        MessageHandler(filters.Document.ALL & filters.UpdateType.MESSAGE, handlers.on_document)
    )
    app.add_handler(CallbackQueryHandler(handlers.on_callback))
    app.add_handler(InlineQueryHandler(handlers.on_inline))
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & ~filters.TEXT
            & ~filters.Document.ALL
            & ~filters.StatusUpdate.ALL,
            handlers.on_other,
        )
    )
    app.add_error_handler(handlers.on_error)
    return app


def run(settings: Settings, webhook_url: str | None, listen: str, port: int) -> int:
    """Run until interrupted: long polling, or a webhook when ``webhook_url`` is given."""
    bot_settings = load_bot_settings()
    install_redaction(bot_settings)
    logging.getLogger().setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = build_application(settings, bot_settings)
    updates = list(Update.ALL_TYPES)
    if webhook_url:
        if bot_settings.webhook_secret is None:
            raise ConfigError(
                "webhook mode needs TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)"
            )
        if not webhook_url.startswith("https://"):
            raise ConfigError("--webhook-url must be an https:// URL that reaches this server")
        log.info("starting webhook on %s:%d", listen, port)
        app.run_webhook(
            listen=listen,
            port=port,
            url_path="telegram",
            webhook_url=webhook_url.rstrip("/") + "/telegram",
            secret_token=bot_settings.webhook_secret.get_secret_value(),
            allowed_updates=updates,
        )
    else:
        log.info("starting long polling")
        app.run_polling(allowed_updates=updates)
    return 0
