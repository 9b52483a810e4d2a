"""A fake Telegram Bot API server for end-to-end tests: real HTTP on 127.0.0.1.

The bot under test is the real one, with python-telegram-bot's real networking, pointed here
through ``TELEGRAM_API_BASE_URL`` / ``TELEGRAM_API_FILE_URL``. The server keeps a queue of
updates (served by ``getUpdates`` with long polling), records every call, answers the methods
the bot uses the way Telegram does (including its checks: HTML that Telegram would refuse, the
4096-character limit, 64-byte callback data, 50 inline results) and can be told to fail.

Routes: ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>``. Requests may be JSON or
form-encoded (PTB sends form fields whose non-string values are JSON).

One module (about 870 lines): one server, the Bot API methods it answers and their checks,
the faults it can be told to make; a test needs all of it at once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

BOT_ID = 4242
BOT_USERNAME = "verbatim_test_bot"
TOKEN = "4242:TEST-token-for-the-fake-server_0123456789"
MAX_TEXT = 4096
MAX_POLL_SECONDS = 5.0

# Form fields whose values PTB sends JSON-encoded.
_JSON_FIELDS = {
    "allowed_updates",
    "button",
    "commands",
    "entities",
    "link_preview_options",
    "reply_markup",
    "reply_parameters",
    "results",
    "scope",
}
_INT_FIELDS = {
    "cache_time",
    "limit",
    "message_id",
    "message_thread_id",
    "offset",
    "timeout",
    "reply_to_message_id",
}
#: How the npm ``telegram-test-api`` emulator (4.2.1, a third-party Bot API server) differs
#: from Telegram, as measured against it; ``FakeBotApi(emulate=EMULATOR)`` behaves the same:
#:
#: * ``echo``: ``sendMessage`` answers with the request's own fields echoed back as sent
#:   (form-encoded, so ``link_preview_options`` and ``reply_parameters`` come back as strings,
#:   ``chat_id`` as a string), a ``date`` in milliseconds and no ``from``;
#: * ``bare-get-me``: ``getMe`` has no ``is_bot``;
#: * ``instant-updates``: ``getUpdates`` answers at once, never holding a long poll;
#: * ``null-results``: ``answerCallbackQuery`` and ``editMessageText`` answer ``null``;
#: * ``bare-callbacks``: a button press has no ``chat_instance``, and its ``message`` is only
#:   ``message_id``, ``chat`` and ``from`` (no ``date``, no text);
#: * ``missing-methods``: ``sendChatAction`` and ``setMyCommands`` answer 500.
EMULATOR = frozenset(
    {"echo", "bare-get-me", "instant-updates", "null-results", "bare-callbacks", "missing-methods"}
)
_MISSING_METHODS = {"sendChatAction", "setMyCommands"}
_NULL_RESULTS = {"answerCallbackQuery", "editMessageText"}

_ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "code",
    "del",
    "em",
    "i",
    "ins",
    "pre",
    "s",
    "span",
    "strike",
    "strong",
    "tg-emoji",
    "tg-spoiler",
    "u",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def parse_telegram_html(text: str) -> str:
    """The plain text Telegram would show for ``text`` in HTML mode, or ApiError as Telegram
    refuses it ("Can't parse entities: ...")."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            tag = _TAG.match(text, i)
            if tag is None:
                raise ApiError(400, f"Bad Request: can't parse entities: unexpected < at {i}")
            closing, name, _attrs = tag.group(1), tag.group(2).lower(), tag.group(3)
            if name not in _ALLOWED_TAGS:
                raise ApiError(
                    400, f'Bad Request: can\'t parse entities: unsupported start tag "{name}"'
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(
                        400, f'Bad Request: can\'t parse entities: unmatched end tag "{name}"'
                    )
                stack.pop()
            else:
                stack.append(name)
            i = tag.end()
        elif ch == "&":
            entity = _ENTITY.match(text, i)
            if entity is None:
                raise ApiError(400, f"Bad Request: can't parse entities: bare & at {i}")
            value = entity.group(1)
            if value.startswith("#x"):
                out.append(chr(int(value[2:], 16)))
            elif value.startswith("#"):
                out.append(chr(int(value[1:])))
            else:
                out.append(_NAMED[value])
            i = entity.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        raise ApiError(400, f'Bad Request: can\'t parse entities: unclosed tag "{stack[-1]}"')
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class _Failure:
    status: int
    description: str
    times: int
    retry_after: int | None = None
    delay: float = 0.0


@dataclass
class FakeBotApi:
    """The server and its state. Use as a context manager, or ``start()`` / ``stop()``."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(10_000))
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _closed: bool = False
    _connections: set[socket.socket] = field(default_factory=set)
    emulate: frozenset[str] = frozenset()  # quirks of other servers (EMULATOR); none: strict
    _down_on: str | None = None
    _in_flight: int = 0  # requests being handled and answered (an outage lets them finish)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        handler = _make_handler(self)
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- what the tests do ---------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (its ``update_id`` is assigned here); returns the id."""
        with self._cond:
            update_id = next(self._ids)
            self._updates.append({"update_id": update_id, **update})
            self._cond.notify_all()
        return update_id

    def fail(
        self,
        method: str,
        status: int = 500,
        description: str = "Internal Server Error",
        *,
        times: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (``delay`` seconds first).
        ``status=0`` drops the connection without any answer, as a dead keep-alive does."""
        with self._cond:
            self._failures.setdefault(method, []).append(
                _Failure(status, description, times, retry_after, delay)
            )

    def add_file(self, file_id: str, file_path: str, content: bytes) -> None:
        with self._cond:
            self.files[file_id] = (file_path, content)

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent or edited, as the server stored them (``text`` is plain)."""
        with self._cond:
            return [
                m
                for (chat, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
                if m["from"]["id"] == BOT_ID and (chat_id is None or chat == chat_id)
            ]

    def wait_for(self, predicate: Callable[[FakeBotApi], Any], timeout: float = 15.0) -> Any:
        """Wait until ``predicate(self)`` is truthy; return its value or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"condition not met in {timeout:.0f}s")
                self._cond.wait(min(left, 0.05))

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        calls: list[Call] = self.wait_for(
            lambda api: (lambda cs: cs if len(cs) >= count else None)(
                [c for c in api.calls if c.method == method]
            ),
            timeout,
        )
        return calls

    def wait_for_sent(self, chat_id: int, count: int = 1, timeout: float = 15.0) -> list[Any]:
        msgs: list[Any] = self.wait_for(
            lambda api: (lambda ms: ms if len(ms) >= count else None)(api.sent(chat_id)),
            timeout,
        )
        return msgs

    def idle(self, quiet: float = 0.5, timeout: float = 15.0) -> None:
        """Wait until all updates were fetched and no call came in for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                last = self.calls[-1].at if self.calls else 0.0
                pending = bool(self._updates)
                fetched = any(c.method == "getUpdates" and c.at > last - 1e-9 for c in self.calls)
            if not pending and time.monotonic() - last >= quiet and fetched:
                return
            time.sleep(0.05)
        raise TimeoutError("the bot did not go quiet")

    # -- the API -------------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        with self._cond:
            if isinstance(self, PortFakeBotApi) and self._closed:
                raise ApiError(0, "down")  # the outage has begun: cut, not recorded
            if method == self._down_on and isinstance(self, PortFakeBotApi):
                self._down_on = None
                self._closed = True  # from this call on, nothing more is taken
                threading.Thread(target=self.down, daemon=True).start()
                raise ApiError(0, "down")
            self.calls.append(Call(method, params, time.monotonic()))
            self._cond.notify_all()
            failures = self._failures.get(method)
            failure = failures[0] if failures else None
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    failures.pop(0)  # type: ignore[union-attr]
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
            raise ApiError(failure.status, failure.description, parameters)
        if method == "getUpdates":
            return self._get_updates(params)
        if "missing-methods" in self.emulate and method in _MISSING_METHODS:
            raise ApiError(500, f"API method '{method}' is not supported")
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        with self._cond:
            result = handler(params)
        if "null-results" in self.emulate and method in _NULL_RESULTS:
            return None
        if "echo" in self.emulate and method == "sendMessage":
            return _echoed(params, result)
        return result

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
        if "instant-updates" in self.emulate:
            timeout = 0.0
        deadline = time.monotonic() + timeout
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self._updates[:limit])

    def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        if "bare-get-me" in self.emulate:
            return {"id": BOT_ID, "first_name": "Verbatim", "username": BOT_USERNAME}
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Verbatim",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.webhook = dict(params)
        return True

    def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands are invalid")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        return True

    def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        _chat_id(params)
        return True

    def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_answerinlinequery(self, params: dict[str, Any]) -> bool:
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or any(not i or len(i.encode()) > 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for r in results:
            content = r.get("input_message_content") or {}
            text = content.get("message_text", "")
            if content.get("parse_mode") == "HTML":
                text = parse_telegram_html(text)
            if not text.strip() or utf16_len(text) > MAX_TEXT:
                raise ApiError(400, "Bad Request: MESSAGE_TEXT_INVALID")
        return True

    def _m_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": file_id[::-1],
            "file_size": len(content),
            "file_path": path,
        }

    def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_id(params)
        message = self._message(chat_id, next(self._message_ids), params)
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        if reply_to is not None:
            original = self.messages.get((chat_id, int(reply_to)))
            if original is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if original is not None:
                message["reply_to_message"] = original
        if params.get("message_thread_id"):
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_id(params)
        key = (chat_id, int(params.get("message_id", 0)))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        old = self.messages[key]
        message = self._message(chat_id, key[1], params)
        if message["text"] == old["text"] and message.get("reply_markup") == old.get(
            "reply_markup"
        ):
            raise ApiError(400, "Bad Request: message is not modified")
        message["edit_date"] = int(time.time())
        self.messages[key] = {**old, **message}
        return self.messages[key]

    def _message(self, chat_id: int, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        raw = str(params.get("text", ""))
        text = parse_telegram_html(raw) if params.get("parse_mode") == "HTML" else raw
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if markup is not None:
            _check_markup(markup)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Verbatim"},
            "text": text,
            "html": raw if params.get("parse_mode") == "HTML" else None,
        }
        if markup is not None:
            message["reply_markup"] = markup
        return message

    # -- building updates (what users do) -------------------------------------------------------

    def store_incoming(self, message: dict[str, Any]) -> dict[str, Any]:
        """Remember a user's message so the bot can reply to it; assigns its id."""
        with self._cond:
            message.setdefault("message_id", next(self._message_ids))
            message.setdefault("date", int(time.time()))
            self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        *,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        kind: str = "message",
        **content: Any,
    ) -> dict[str, Any]:
        """A user's message of any kind (``text=...``, ``sticker=...``) queued as an update."""
        message: dict[str, Any] = {"chat": chat, "from": sender, **content}
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        self.store_incoming(message)
        self.push({kind: message})
        return message

    def text(
        self, chat: dict[str, Any], sender: dict[str, Any], text: str, **kw: Any
    ) -> dict[str, Any]:
        """A text message; commands and @mentions get the entities Telegram would add."""
        entities = []
        command = re.match(r"/[A-Za-z0-9_]+(@\w+)?", text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": len(command.group())})
        for mention in re.finditer(r"@\w+", text):
            if command and mention.start() < command.end():
                continue
            entities.append(
                {
                    "type": "mention",
                    "offset": utf16_len(text[: mention.start()]),
                    "length": utf16_len(mention.group()),
                }
            )
        if entities:
            kw["entities"] = entities
        return self.message(chat, sender, text=text, **kw)

    def document(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        file_name: str,
        content: bytes,
        mime_type: str = "text/plain",
        *,
        declared_size: int | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        file_id = f"file-{next(self._ids)}"
        self.add_file(file_id, f"documents/{file_id}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": file_id[::-1],
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content) if declared_size is None else declared_size,
        }
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        return self.message(chat, sender, document=document, **extra)

    def press(self, message: dict[str, Any], sender: dict[str, Any], data: str) -> int:
        """A button press on ``message`` (one the bot sent)."""
        query: dict[str, Any] = {
            "id": f"cb-{next(self._ids)}",
            "from": sender,
            "chat_instance": "instance",
            "message": message,
            "data": data,
        }
        if "bare-callbacks" in self.emulate:
            del query["chat_instance"]
            query["message"] = {
                "message_id": message["message_id"],
                "chat": message["chat"],
                "from": sender,
            }
        return self.push({"callback_query": query})

    def inline(self, sender: dict[str, Any], query: str) -> int:
        inline = {"id": f"iq-{next(self._ids)}", "from": sender, "query": query, "offset": ""}
        return self.push({"inline_query": inline})

    # -- more helpers (hostile-input tests) -------------------------------------------------------

    def pending(self) -> int:
        """Updates queued and not yet acknowledged by the bot (a later ``getUpdates`` offset)."""
        with self._cond:
            return len(self._updates)

    def last_call_at(self, *, ignore: tuple[str, ...] = ("getUpdates",)) -> float:
        """``time.monotonic()`` of the latest call of a method not in ``ignore`` (0.0 if none)."""
        with self._cond:
            return max((c.at for c in self.calls if c.method not in ignore), default=0.0)

    def channel_post(
        self, chat: dict[str, Any], *, kind: str = "channel_post", **content: Any
    ) -> dict[str, Any]:
        """A post in a channel: no ``from``, the channel itself as ``sender_chat``. Not kept
        in ``messages`` (``sent`` expects a sender): a reply to it would fail, and show up
        in ``calls_of("sendMessage")``."""
        with self._cond:
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat,
                "sender_chat": chat,
                **content,
            }
        self.push({kind: message})
        return message

    def callback(self, sender: dict[str, Any], **fields: Any) -> int:
        """A callback query with any fields (``data``, ``message``, ``inline_message_id``...)."""
        query = {"id": f"cb-{next(self._ids)}", "from": sender, "chat_instance": "i", **fields}
        return self.push({"callback_query": query})


def _echoed(params: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """What the emulator answers to ``sendMessage`` (see ``EMULATOR``): the request's fields as
    they were sent in the form (only ``reply_markup`` parsed), and a few of its own."""
    form = {
        k: json.dumps(v) if isinstance(v, dict | list) and k != "reply_markup" else v
        for k, v in params.items()
    }
    if "chat_id" in form:
        form["chat_id"] = str(form["chat_id"])
    return {
        **form,
        "message_id": message["message_id"],
        "date": message["date"] * 1000,
        "chat": {"id": message["chat"]["id"], "first_name": "Bot", "type": "private"},
    }


def user(uid: int, name: str = "Ada", language_code: str | None = None) -> dict[str, Any]:
    """A Telegram user; ``language_code`` is their app's language (IETF tag, "ru", "pt-br")."""
    sender: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": name}
    sender["username"] = f"user{uid}"
    if language_code is not None:
        sender["language_code"] = language_code
    return sender


def private(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": "Ada"}


def group(cid: int, *, forum: bool = False) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": cid, "type": "supergroup", "title": "Readers"}
    if forum:
        chat["is_forum"] = True
    return chat


def bot_user() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Verbatim", "username": BOT_USERNAME}


def _chat_id(params: dict[str, Any]) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def _check_markup(markup: Any) -> None:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if rows is None:
        return
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")


def _decode_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if not body:
        return params
    if content_type.startswith("application/json"):
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ApiError(400, "Bad Request: the JSON body must be an object")
        params.update(decoded)
        return params
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
            value: Any = values[-1]
            if key in _JSON_FIELDS:
                value = json.loads(value)
            elif key in _INT_FIELDS:
                value = int(value)
            params[key] = value
        return params
    raise ApiError(400, f"Bad Request: unsupported content type {content_type!r}")


class _Server(ThreadingHTTPServer):
    """A thread per connection, like any HTTP server; a listen backlog of a real server's
    size (socketserver's default of 5 overflowed when 50 clients connected at once)."""

    daemon_threads = True
    request_queue_size = 128


def _make_handler(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's
            # algorithm and the client's delayed ACK add ~40 ms to every response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with api._cond:  # an outage (``down``) cuts open connections too
                api._connections.add(self.connection)

        def finish(self) -> None:
            with api._cond:
                api._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def _dispatch(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = unquote(url.path)
            file_prefix = f"/file/bot{api.token}/"
            if path.startswith(file_prefix):
                self._serve_file(path[len(file_prefix) :])
                return
            match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
            if match is None:
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            if match.group(1) != api.token:
                self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            with api._cond:
                api._in_flight += 1
            try:
                self._call(match.group(2), body, url.query)
            finally:
                with api._cond:
                    api._in_flight -= 1
                    api._cond.notify_all()

        def _call(self, method: str, body: bytes, query: str) -> None:
            try:
                params = _decode_params(self.headers.get("Content-Type", ""), body, query)
                result = api.handle(method, params)
            except ApiError as err:
                if err.code == 0:  # drop the connection, answer nothing
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload: dict[str, Any] = {
                    "ok": False,
                    "error_code": err.code,
                    "description": err.description,
                }
                if err.parameters:
                    payload["parameters"] = err.parameters
                self._json(err.code, payload)
                return
            except (ValueError, KeyError) as err:
                self._json(400, {"ok": False, "error_code": 400, "description": str(err)})
                return
            self._json(200, {"ok": True, "result": result})

        def _serve_file(self, path: str) -> None:
            with api._cond:
                found = [c for p, c in api.files.values() if p == path]
            if not found:
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(found[0])))
            self.end_headers()
            self.wfile.write(found[0])

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # The client may have gone (e.g. a long poll cancelled at shutdown).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

    return Handler


@contextmanager
def running() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


# -- more helpers (network-fault and security tests) -------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (when asked)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PortFakeBotApi(FakeBotApi):
    """The fake on a port chosen in advance (``at_port``; 0: any free one), so that its URLs
    are known before it listens: a Bot API that is down when the bot starts, then comes up.
    It checks for shutdown every 20 ms (not 0.5 s)."""

    at_port: int = 0

    def start(self) -> PortFakeBotApi:
        self._server = _Server(("127.0.0.1", self.at_port), _make_handler(self))
        self.at_port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self.at_port

    @property
    def listening(self) -> bool:
        return self._server is not None and not self._closed

    def down(self) -> None:
        """An outage: take no more calls, let those already taken be answered (so that a
        call is either answered or never reached the server: the case under test), then stop
        listening and cut every open connection (a client gets "connection refused" until
        ``up``). Updates queued meanwhile are kept."""
        server = self._server
        with self._cond:
            self._closed = True
            self._cond.notify_all()  # long polls return
            self._cond.wait_for(lambda: self._in_flight == 0, timeout=5.0)
            connections = list(self._connections)
            self._connections.clear()
        if server is not None:
            server.shutdown()
            server.server_close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server = None

    def down_on(self, method: str) -> None:
        """Go ``down`` as the next call of ``method`` arrives (its connection is cut, it gets
        no answer): an outage that starts while replies are being sent."""
        with self._cond:
            self._down_on = method

    def up(self) -> None:
        """The end of the outage: listening again on the same port."""
        with self._cond:
            self._closed = False
        self.start()

    def failures_left(self, method: str) -> int:
        """How many calls of ``method`` will still fail (see ``fail``)."""
        with self._cond:
            return sum(f.times for f in self._failures.get(method, []))
