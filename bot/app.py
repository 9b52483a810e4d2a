"""Builds the python-telegram-bot Application and runs it (``verbatim serve``).

The bot talks to whatever Bot API server ``TELEGRAM_API_BASE_URL`` names (PTB's ``base_url``):
api.telegram.org by default, a self-hosted server, or the tests' fake one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import BotCommand, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
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
from bot.service import AnswerService
from bot.state import password_in
from index.config import Settings
from index.embedding import Embedder
from index.errors import ConfigError, VerbatimError

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "what I am and what I know"),
    BotCommand("help", "how to ask"),
    BotCommand("sources", "the documents I quote"),
    BotCommand("reset", "forget our conversation"),
    BotCommand("ask", "ask a question (in groups)"),
]


REDACTED = "[REDACTED]"


class RedactedError(Exception):
    """Stands in, in a log record, for an exception whose text held a secret: its text is the
    original's, redacted (the record's ``exc_text`` holds the whole redacted traceback)."""


class RedactSecrets(logging.Filter):
    """Removes the bot token and webhook secret from log records, whatever logs them: from the
    message, the traceback and the stack. ``install_redaction`` applies it to every record as
    it is created, whichever handler it goes to later (and to the root handlers, as a
    filter)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self._secrets.update(s for s in secrets if s)
        if self._secrets:
            longest_first = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in longest_first))

    def redact_text(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern is not None else text

    def filter(self, record: logging.LogRecord) -> bool:
        self.redact(record)
        return True

    def redact(self, record: logging.LogRecord) -> None:
        pattern = self._pattern
        if pattern is None:
            return
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging would print msg and args as such
            message = f"{record.msg} {record.args!r}"
        if pattern.search(message):
            record.msg = pattern.sub(REDACTED, message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            if pattern.search(text):
                record.exc_text = pattern.sub(REDACTED, text)
                error = record.exc_info[1]
                stand_in = RedactedError(
                    f"{type(error).__name__}: {pattern.sub(REDACTED, str(error))}"
                )
                record.exc_info = (RedactedError, stand_in, None)
        if record.stack_info and pattern.search(record.stack_info):
            record.stack_info = pattern.sub(REDACTED, record.stack_info)


class _RedactingRecordFactory:
    """The log record factory, wrapped: every record is redacted as it is made, before any
    handler (one attached later, pytest's, a library's) sees it."""

    def __init__(self, base: Callable[..., logging.LogRecord], redactor: RedactSecrets) -> None:
        self.base = base
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.base(*args, **kwargs)
        self.redactor.redact(record)
        return record


_REDACTOR = RedactSecrets()


def secrets_of(bot_settings: BotSettings) -> list[str]:
    """What must never be logged: the token, its secret half on its own (after the colon),
    the webhook secret."""
    token = bot_settings.token.get_secret_value()
    secrets = [token, token.partition(":")[2]]
    if bot_settings.webhook_secret is not None:
        secrets.append(bot_settings.webhook_secret.get_secret_value())
    if bot_settings.state_url is not None:  # the database password
        password = password_in(bot_settings.state_url.get_secret_value())
        if password:
            secrets.append(password)
    return secrets


def install_redaction(bot_settings: BotSettings) -> None:
    """Redact the bot's secrets from every log record from now on: as records are made (a
    log record factory, so a handler added later is covered too) and in the root handlers
    (a filter, for records made some other way). Calling it again adds secrets."""
    _REDACTOR.add(secrets_of(bot_settings))
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingRecordFactory):
        logging.setLogRecordFactory(_RedactingRecordFactory(factory, _REDACTOR))
    for handler in logging.getLogger().handlers:
        if _REDACTOR not in handler.filters:
            handler.addFilter(_REDACTOR)
    # httpx logs every request URL, which contains the token: keep it at WARNING.
    logging.getLogger("httpx").setLevel(logging.WARNING)


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


# -- running -------------------------------------------------------------------------------------


class BotApiError(VerbatimError):
    """The Bot API server refused something the bot cannot do without (its token, the
    webhook): a message for the operator, with no secret in it."""


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram posts updates to ``url`` (public, https), which reaches
    ``listen:port/url_path`` here; a request without ``secret`` in its
    X-Telegram-Bot-Api-Secret-Token header is refused (403)."""

    url: str
    secret: str = field(repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443
    url_path: str = "telegram"


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts to reach the Bot API while starting: ``first`` seconds, then
    ``factor`` times longer each time, at most ``cap`` (a 429's retry_after instead, if it
    gives one). There is no limit on attempts: a bot started while its server is down comes
    up when the server is back."""

    first: float = 1.0
    factor: float = 2.0
    cap: float = 30.0


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # an int in PTB 22 (deprecated), a timedelta later
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _refused(what: str, exc: TelegramError) -> BotApiError:
    return BotApiError(f"{what}: the Bot API server refused it: {_REDACTOR.redact_text(str(exc))}")


async def _retrying(what: str, attempt: Callable[[], Awaitable[object]], backoff: Backoff) -> None:
    """``attempt()`` until it succeeds, waiting between failures that may pass (no connection,
    a 5xx, a timeout: ``backoff``; a 429: its retry_after), with one warning each. A refused
    token or any other refusal is a BotApiError (no use trying again)."""
    delay = backoff.first
    failures = 0
    while True:
        try:
            await attempt()
        except InvalidToken:
            # PTB's own message repeats the token: neither shown nor chained.
            raise BotApiError(
                "the Bot API server refused TELEGRAM_BOT_TOKEN (revoked or mistyped?); "
                "@BotFather shows the current one"
            ) from None
        except RetryAfter as exc:
            wait = _retry_after_seconds(exc) + 0.5
            reason = "it asks to wait (429)"
        except BadRequest as exc:  # a NetworkError to PTB, but trying again will not help
            raise _refused(what, exc) from None
        except NetworkError as exc:  # no connection, a 5xx, a timeout (TimedOut)
            wait, delay = delay, min(backoff.cap, delay * backoff.factor)
            reason = f"it cannot be reached ({type(exc).__name__}: {exc})"
        except TelegramError as exc:  # Forbidden, Conflict...
            raise _refused(what, exc) from None
        else:
            if failures:
                log.info("%s: done, after %d failed attempt(s)", what, failures)
            return
        failures += 1
        log.warning("%s: %s; trying again in %.3g s", what, reason, wait)
        await asyncio.sleep(wait)


def _polling_failed(exc: TelegramError) -> None:
    # python-telegram-bot retries (after 1 s, then 1.5 times longer each time, at most 30 s).
    log.warning("getUpdates failed (%s: %s); retrying", type(exc).__name__, exc)


async def _until_stopped(stop: asyncio.Event, work: Awaitable[None]) -> bool:
    """Run ``work``; if ``stop`` is set first, cancel it and return False."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        finished = task.done()
        task.cancel()
        waiter.cancel()
        await asyncio.gather(task, waiter, return_exceptions=True)
    if not finished:
        return False
    task.result()
    return True


# python-telegram-bot's name for the task that polls: it ends, for good, on a 401 (the token
# was revoked while the bot ran); the bot would then run on, deaf.
_POLLING_TASK = "Updater:start_polling:polling_task"


def _polling_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t.get_name() == _POLLING_TASK}


async def _until_stopped_or_ended(stop: asyncio.Event, polling: asyncio.Task[Any] | None) -> None:
    """Wait for ``stop``; or, if long polling ends first, raise a BotApiError saying why."""
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait(
            {waiter} | ({polling} if polling else set()), return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        waiter.cancel()
    if polling is None or not polling.done() or stop.is_set():
        return
    error = None if polling.cancelled() else polling.exception()
    if error is None:  # stopped from elsewhere
        log.info("long polling stopped")
        return
    if isinstance(error, InvalidToken):
        raise BotApiError(
            "the Bot API server refused TELEGRAM_BOT_TOKEN while the bot was running "
            "(revoked?); @BotFather shows the current one"
        ) from None
    raise BotApiError(f"long polling ended: {_REDACTOR.redact_text(repr(error))}") from None


async def serve(
    app: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    *,
    webhook: Webhook | None = None,
    backoff: Backoff | None = None,
    poll_timeout: float = 10.0,
) -> None:
    """Run the bot until ``stop`` is set (what ``Application.run_polling`` / ``run_webhook``
    do, with a start that waits for an unreachable Bot API instead of failing): reach the
    Bot API (``getMe``), ``post_init`` (the index), start long polling or the webhook, then
    handle updates; and stop cleanly whatever happened."""
    backoff = backoff or Backoff()
    updater = app.updater
    if updater is None:
        raise RuntimeError("the application has no Updater")
    updates = list(Update.ALL_TYPES)

    async def start_updater() -> None:
        assert updater is not None
        if webhook is None:
            await updater.start_polling(
                timeout=timedelta(seconds=poll_timeout),
                allowed_updates=updates,
                bootstrap_retries=0,  # _retrying does that, with clearer messages
                error_callback=_polling_failed,
            )
        else:
            await updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.url_path,
                webhook_url=webhook.url,
                secret_token=webhook.secret,
                allowed_updates=updates,
                bootstrap_retries=0,
            )

    try:
        if not await _until_stopped(
            stop, _retrying("reaching the Bot API", app.initialize, backoff)
        ):
            return
        log.info("connected to the Bot API as @%s", app.bot.username)
        if app.post_init is not None:
            await app.post_init(app)
        what = "setting the webhook" if webhook else "starting long polling"
        before = _polling_tasks()
        if not await _until_stopped(stop, _retrying(what, start_updater, backoff)):
            return
        polling = next(iter(_polling_tasks() - before), None)
        await app.start()
        log.info("the bot is running (%s)", "webhook" if webhook else "long polling")
        await _until_stopped_or_ended(stop, polling)
    finally:
        if updater.running:
            try:
                await updater.stop()
            except TelegramError as exc:  # what ended the polling (reported above)
                log.debug("stopping the updater: %s", exc)
        if app.running:
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


def webhook_config(
    bot_settings: BotSettings, webhook_url: str | None, listen: str, port: int
) -> Webhook | None:
    """Webhook mode's settings, checked (ConfigError), or None for long polling."""
    if not webhook_url:
        return None
    if bot_settings.webhook_secret is None:
        raise ConfigError(
            "webhook mode needs TELEGRAM_WEBHOOK_SECRET (16-256 of A-Z a-z 0-9 _ -; "
            "make one with: openssl rand -hex 32)"
        )
    if not webhook_url.startswith("https://"):
        raise ConfigError("--webhook-url must be an https:// URL that reaches this server")
    return Webhook(
        url=webhook_url.rstrip("/") + "/telegram",
        secret=bot_settings.webhook_secret.get_secret_value(),
        listen=listen,
        port=port,
    )


async def _serve_until_signalled(
    app: Application,  # type: ignore[type-arg]
    webhook: Webhook | None,
) -> None:
    stop = asyncio.Event()
    # SIGTERM (docker stop, systemd) stops the bot cleanly; Ctrl-C cancels it (asyncio.run).
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve(app, stop, webhook=webhook)


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
        asyncio.run(_serve_until_signalled(app, webhook))
    except KeyboardInterrupt:
        log.info("stopped")
    return 0
