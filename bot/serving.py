"""Running the bot until it is stopped: reach the Bot API, load the index, start long polling
or the webhook, handle updates, stop cleanly (``serve``).

Why not python-telegram-bot's ``run_polling`` / ``run_webhook``: they own the event loop and
stop only on a signal, and two things they do not do are tested here —
* a bot started while its Bot API server is down waits for it, with backoff and one warning
  per attempt, and a refused token stops it at once with a message that says so
  (``tests/integration/test_network_faults.py``); ``run_polling``'s bootstrap retries every
  second and ends in a traceback;
* a token revoked while the bot runs ends python-telegram-bot's polling task for good, and
  ``run_polling`` would go on running, deaf; ``serve`` watches that task and stops with a
  clear error (``test_a_token_revoked_while_running_stops_the_bot_with_a_clear_error``).
Everything else is python-telegram-bot's own: ``Application.initialize/start/stop/shutdown``,
``Updater.start_polling/start_webhook`` with its retry loop and ``error_callback``, the
``post_init``/``post_shutdown`` hooks, in the order ``run_polling`` calls them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.config import BotSettings
from bot.redaction import redact_text
from index.errors import ConfigError, VerbatimError

log = logging.getLogger("bot.app")  # the name the operators' logs have always shown


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
    return BotApiError(f"{what}: the Bot API server refused it: {redact_text(str(exc))}")


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
    raise BotApiError(f"long polling ended: {redact_text(repr(error))}") from None


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


async def serve_until_signalled(
    app: Application,  # type: ignore[type-arg]
    webhook: Webhook | None,
) -> None:
    stop = asyncio.Event()
    # SIGTERM (docker stop, systemd) stops the bot cleanly; Ctrl-C cancels it (asyncio.run).
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve(app, stop, webhook=webhook)
