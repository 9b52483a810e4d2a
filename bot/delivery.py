"""The bot's requests to the Bot API: what to retry, and what a delivered reply is.

Two request objects (python-telegram-bot's ``HTTPXRequest``, subclassed):

* ``SendRequest``, for every call but ``getUpdates``. A reply that never reached the server
  (the connection was refused, or not made in time, or no pooled connection was free) is safe
  to send again: it is retried with backoff for as long as an outage lasts, up to
  ``Outage.give_up_after`` (10 minutes), then the loss is logged. A call that may have reached
  the server (a read timeout, a connection dropped mid-answer) is not retried here: it might be
  delivered twice. And a call the server answered with ``ok: true`` *was* delivered, even when
  python-telegram-bot cannot read the answer (a server that echoes ``link_preview_options`` back
  as a string): fields it cannot read are dropped from the answer, with a warning, so that the
  reply is not followed by an apology for a failure that did not happen. (Likewise a ``getMe``
  without ``is_bot``, dates in milliseconds, an edit answered with ``null``.)
* ``UpdatesRequest``, for ``getUpdates``. An update python-telegram-bot cannot read would fail
  its whole batch, and the same batch would be fetched again forever: it becomes an empty
  update (its ``update_id`` only) with a warning; a button press without ``chat_instance``, or
  under a message without ``date`` (some servers leave them out), is given them. A server that
  answers a long poll at once with nothing, instead of holding it, is polled less and less
  often (up to once a second) rather than in a busy loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from telegram import Message, Update
from telegram.error import NetworkError
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outage:
    """Waits between attempts of a call that never reached the Bot API: ``first`` seconds,
    ``factor`` times longer each time, at most ``cap``; after ``give_up_after`` seconds of
    failures the call fails for good."""

    first: float = 0.5
    factor: float = 2.0
    cap: float = 15.0
    give_up_after: float = 600.0

    def __post_init__(self) -> None:
        if not (0 < self.first <= self.cap) or self.factor < 1 or self.give_up_after < 0:
            raise ValueError(f"bad outage settings: {self}")


#: Calls not retried through an outage: the start's own (``bot.app`` waits for the Bot API with
#: clearer messages), and those whose use passes within seconds ("typing…", inline results).
NOT_RETRIED = frozenset(
    {
        "getMe",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "logOut",
        "close",
        "sendChatAction",
        "answerInlineQuery",
    }
)


def never_reached(exc: BaseException) -> bool:
    """Did the request fail before any byte of it could reach the server?"""
    cause = exc.__cause__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class SendRequest(HTTPXRequest):
    """The request of every Bot API call except ``getUpdates`` (see the module's docstring)."""

    def __init__(self, *, outage: Outage | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outage = outage or Outage()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        delay = self.outage.first
        started: float | None = None
        while True:
            try:
                code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except NetworkError as exc:  # TimedOut included
                name = _method(url)
                if not never_reached(exc) or name in NOT_RETRIED:
                    raise
                now = time.monotonic()
                started = now if started is None else started
                if now - started >= self.outage.give_up_after:
                    log.error(
                        "%s could not reach the Bot API for %.0f s (%s): given up, it is lost",
                        name,
                        now - started,
                        exc,
                    )
                    raise
                log.warning(
                    "%s did not reach the Bot API (%s); sending it again in %.3g s",
                    name,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(self.outage.cap, delay * self.outage.factor)
                continue
            # The server answered ok in a form python-telegram-bot may not read: the call
            # succeeded, whatever the form.
            return code, readable_payload(_method(url), payload) if 200 <= code < 300 else payload


def readable_payload(method: str, payload: bytes) -> bytes:
    """A successful call's response, its result made readable (see ``readable_result``)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return payload  # python-telegram-bot reports it
    if not isinstance(data, dict) or data.get("ok") is not True:
        return payload
    result = data.get("result")
    repaired = readable_result(method, result)
    if repaired is result:
        return payload
    return json.dumps({**data, "result": repaired}).encode()


_REQUIRED = ("message_id", "date", "chat")
_warned: set[str] = set()


def _warn_once(what: str, message: str, *args: object) -> None:
    if what not in _warned:
        _warned.add(what)
        log.warning(message, *args)


def readable_result(method: str, result: Any) -> Any:
    """A successful call's ``result`` as python-telegram-bot can read it (see the module's
    docstring)."""
    if method == "getMe" and isinstance(result, dict) and "is_bot" not in result:
        _warn_once("is_bot", "the Bot API server's getMe has no is_bot: taken as a bot")
        return {**result, "is_bot": True}
    if isinstance(result, dict) and "message_id" in result:
        return readable_message(result)
    if result is None and method.startswith("edit"):
        # Edited (the server said ok) but not returned: PTB takes True as "done".
        _warn_once("edit-null", "the Bot API server answers %s with null: taken as done", method)
        return True
    return result


def readable_message(raw: dict[str, Any]) -> Any:
    """``raw`` if python-telegram-bot reads it as a Message; else ``raw`` without the fields
    it cannot read (each named once in a warning), or True if even its identity cannot be
    read. The message was delivered either way."""
    date = raw.get("date")
    if isinstance(date, int) and date > 10**11:  # milliseconds, not seconds
        _warn_once("date-ms", "the Bot API server gives message dates in milliseconds")
        raw = {**raw, "date": date // 1000}
    try:
        Message.de_json(raw, None)
        return raw
    except Exception:  # noqa: S110 - whatever PTB raises: find the fields at fault below
        pass
    base = {k: raw[k] for k in _REQUIRED if k in raw}
    try:
        Message.de_json(base, None)
    except Exception as exc:
        _warn_once("message", "a sent message came back unreadable (%s): taken as delivered", exc)
        return True
    kept = dict(base)
    for key, value in raw.items():
        if key in base:
            continue
        try:
            Message.de_json({**base, key: value}, None)
        except Exception as exc:
            _warn_once(
                key,
                "the Bot API server answered with a %r python-telegram-bot cannot read "
                "(%s: %s): ignored, the message was delivered",
                key,
                type(exc).__name__,
                exc,
            )
            continue
        kept[key] = value
    return kept


class UpdatesRequest(HTTPXRequest):
    """The request ``getUpdates`` goes through (see the module's docstring)."""

    IDLE_FIRST = 0.05
    IDLE_CAP = 1.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._idle = 0.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        started = time.monotonic()
        code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
        timeout: Any = (request_data.parameters if request_data else {}).get("timeout")
        poll = float(timeout) if isinstance(timeout, int | float | str) and timeout else 0.0
        if poll > 0 and _empty(payload) and time.monotonic() - started < poll / 4:
            # A long poll answered at once with nothing: do not ask again straight away.
            self._idle = min(self.IDLE_CAP, max(self.IDLE_FIRST, 2 * self._idle))
            await asyncio.sleep(self._idle)
        else:
            self._idle = 0.0
        return code, payload

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        data = HTTPXRequest.parse_json_payload(payload)
        if isinstance(data.get("result"), list):
            data["result"] = [readable_update(raw) for raw in data["result"]]
        return data


def _empty(payload: bytes) -> bool:
    if len(payload) > 64:
        return False
    try:
        data = json.loads(payload)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ok") is True and data.get("result") == []


def readable_update(raw: Any) -> Any:
    """``raw`` if PTB can read it as an Update, else ``{"update_id": ...}`` (see above)."""
    if not isinstance(raw, dict) or "update_id" not in raw:
        return raw
    query = raw.get("callback_query")
    if isinstance(query, dict):
        # Some servers leave out what Telegram always sends: the chat instance, the date of
        # the message the button is under. Neither matters to the bot.
        if "chat_instance" not in query:
            query = {**query, "chat_instance": ""}
        message = query.get("message")
        if isinstance(message, dict) and "date" not in message:
            query = {**query, "message": {**message, "date": int(time.time())}}
        raw = {**raw, "callback_query": query}
    try:
        Update.de_json(raw, None)
    except Exception as exc:
        kinds = ",".join(sorted(k for k in raw if k != "update_id")) or "nothing"
        log.warning("skipped update %s (%s) that cannot be read: %s", raw["update_id"], kinds, exc)
        return {"update_id": raw["update_id"]}
    return raw


def _method(url: str) -> str:
    """The Bot API method of a request URL (the token before it is never shown)."""
    return url.rsplit("/", 1)[-1]
