"""Secrets out of the logs: the bot token (whole, and its secret half), the webhook secret and
the state database's password are replaced by ``[REDACTED]`` in every log record, whoever
logs it (python-telegram-bot, httpx, a traceback of ours).

Why a log record factory and not only a filter: a filter sits on handlers, and a handler added
later (pytest's, a library's, an operator's logging config) would print the token; the factory
redacts each record as it is made, before any handler sees it. The factory is process-wide, so
there is one redactor per process (``install_redaction`` adds secrets to it); it is installed
by ``bot.app.run``, the entry point of ``verbatim serve``, never at import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from bot.config import BotSettings
from bot.state import password_in

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


def redact_text(text: str) -> str:
    """``text`` with every secret installed so far replaced."""
    return _REDACTOR.redact_text(text)
