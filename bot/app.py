"""Builds the python-telegram-bot Application and runs it (``verbatim serve``): the
Application with its requests, context types, hooks and handlers (``build_application``), then
``bot.serving.serve`` until a signal (``run``).

The bot talks to whatever Bot API server ``TELEGRAM_API_BASE_URL`` names (PTB's ``base_url``):
api.telegram.org by default, a self-hosted server, or the tests' fake one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import BotCommand
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import handlers
from bot.config import BotSettings, load_bot_settings
from bot.delivery import Outage, SendRequest, UpdatesRequest
from bot.examples import example_questions
from bot.redaction import install_redaction
from bot.service import AnswerService
from bot.serving import serve_until_signalled, webhook_config
from index.config import Settings
from index.embedding import Embedder

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "what I am and what I know"),
    BotCommand("help", "how to ask"),
    BotCommand("sources", "the documents I quote"),
    BotCommand("reset", "forget our conversation"),
    BotCommand("ask", "ask a question (in groups)"),
]


@dataclass(frozen=True)
class Timeouts:
    """How long the bot waits on the Bot API, in seconds. ``updates_read``: the read timeout of
    ``getUpdates``, on top of its long-poll timeout (python-telegram-bot adds the two)."""

    connect: float = 10.0
    read: float = 20.0
    write: float = 20.0
    pool: float = 10.0
    updates_read: float = 5.0


def build_application(
    settings: Settings,
    bot_settings: BotSettings,
    embedder: Embedder | None = None,
    *,
    timeouts: Timeouts | None = None,
    outage: Outage | None = None,
) -> Application:  # type: ignore[type-arg]
    """The Application: handlers registered, requests through ``bot.delivery`` (``outage``:
    how long a reply that cannot reach the Bot API is retried)."""
    state_url = bot_settings.state_url.get_secret_value() if bot_settings.state_url else None
    service = AnswerService(
        settings, embedder, state_url=state_url, record_questions=bot_settings.record_questions
    )
    timeouts = timeouts or Timeouts()

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await service.start(bot_settings.reload_seconds)
        try:
            app.bot_data.examples = await asyncio.to_thread(example_questions, service.engine)
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
        .context_types(handlers.CONTEXT_TYPES)
        .token(bot_settings.token.get_secret_value())
        .concurrent_updates(64)
        .rate_limiter(
            AIORateLimiter(overall_max_rate=bot_settings.max_messages_per_second, max_retries=3)
        )
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .request(
            SendRequest(
                outage=outage,
                connection_pool_size=64,
                connect_timeout=timeouts.connect,
                read_timeout=timeouts.read,
                write_timeout=timeouts.write,
                pool_timeout=timeouts.pool,
            )
        )
        .get_updates_request(
            UpdatesRequest(
                connect_timeout=timeouts.connect,
                read_timeout=timeouts.updates_read,
                write_timeout=timeouts.write,
                pool_timeout=timeouts.pool,
            )
        )
    )
    if bot_settings.base_url:
        builder = builder.base_url(bot_settings.base_url)
    if bot_settings.base_file_url:
        builder = builder.base_file_url(bot_settings.base_file_url)
    app = builder.build()
    app.bot_data.service = service
    app.bot_data.settings = bot_settings

    text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", handlers.on_start, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("help", handlers.on_help, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("sources", handlers.on_sources, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("reset", handlers.on_reset, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("ask", handlers.on_ask_command, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("reindex", handlers.on_reindex, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("add", handlers.on_add, filters.UpdateType.MESSAGE))
    app.add_handler(CommandHandler("documents", handlers.on_documents, filters.UpdateType.MESSAGE))
    # Any other command: a pointer to /help (after the real ones, which take precedence).
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, handlers.on_unknown_command)
    )
    app.add_handler(MessageHandler(text, handlers.on_text))
    app.add_handler(
        MessageHandler(filters.Document.ALL & filters.UpdateType.MESSAGE, handlers.on_document)
    )
    app.add_handler(CallbackQueryHandler(handlers.on_documents_press, pattern=r"^docs:"))
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
    webhook = webhook_config(bot_settings, webhook_url, listen, port)
    install_redaction(bot_settings)
    logging.getLogger().setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = build_application(settings, bot_settings)
    if webhook is not None:
        log.info("starting webhook on %s:%d", listen, port)
    else:
        log.info("starting long polling")
    try:
        asyncio.run(serve_until_signalled(app, webhook))
    except KeyboardInterrupt:
        log.info("stopped")
    return 0
