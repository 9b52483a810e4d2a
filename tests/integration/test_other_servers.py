"""Other Bot API servers (issue 10): the bot, unchanged, against a server that behaves like the
npm ``telegram-test-api`` emulator (``tests.fakebotapi.EMULATOR``: fields echoed back as
strings, dates in milliseconds, no ``is_bot``, no long polling, ``null`` results, button presses
without ``chat_instance``, methods missing).

What must hold: every question gets exactly one reply and no apology after it; a button press
is handled and answered once; the bot does not spin while the server answers long polls at
once. The index uses the hashing embedder: this is about the protocol, not answers.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from index.config import Settings
from tests.botharness import serving_bot, settle
from tests.fakebotapi import EMULATOR, FakeBotApi, private, user

pytestmark = pytest.mark.integration

READER = 6001


@pytest.fixture(autouse=True)
def _logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


async def test_an_emulator_like_server_gets_one_reply_per_question_and_no_apology(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeBotApi(emulate=EMULATOR) as api:
        async with serving_bot(api, settings, VERBATIM_TYPING_AFTER_SECONDS="0") as bot:
            await bot.running()
            api.text(private(READER), user(READER), "When did Hekla erupt?")
            api.text(private(READER), user(READER), "What is a good banana bread recipe?")
            await bot.replies(READER, 2)
            await settle(bot)
            by_question = {m["reply_to_message"]["text"]: m for m in api.sent(READER)}
            answer = by_question["When did Hekla erupt?"]
            declined = by_question["What is a good banana bread recipe?"]
            assert "2000" in answer["text"] and "could not find" in declined["text"]
            assert len(api.sent(READER)) == 2  # no "Sorry — something went wrong" after them
            # No option the reply does not need: neither has a link.
            sent = api.calls_of("sendMessage")
            assert all("link_preview_options" not in c.params for c in sent)

            # A button press without chat_instance, under a bare message: handled, once.
            more = answer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            api.press(answer, user(READER), more)
            await api_wait(lambda: len(api.calls_of("answerCallbackQuery")) >= 1)
            await settle(bot)
            assert len(api.calls_of("answerCallbackQuery")) == 1
            replies = api.sent(READER)
            assert len(replies) in (2, 3)  # a further passage, if the corpus has one
            assert not any(m["text"].startswith("Sorry") for m in replies)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
    read = " ".join(r.getMessage() for r in caplog.records if r.name == "bot.delivery")
    assert "milliseconds" in read and "is_bot" in read  # said once, not hidden


async def test_a_server_that_never_holds_a_long_poll_is_not_polled_in_a_busy_loop(
    settings: Settings,
) -> None:
    with FakeBotApi(emulate=frozenset({"instant-updates"})) as api:
        async with serving_bot(api, settings) as bot:
            await bot.running()
            before = len(api.calls_of("getUpdates"))
            await asyncio.sleep(3.0)
            idle_polls = len(api.calls_of("getUpdates")) - before
            # Backing off to one poll a second: about 8 in 3 s (hundreds in a busy loop).
            assert idle_polls <= 15, idle_polls
            api.text(private(READER), user(READER), "When did Hekla erupt?")
            await bot.replies(READER, 1, timeout=5)  # still answered within about a second


def test_the_fake_is_strict_unless_told() -> None:
    """The quirks are opt-in: by default the fake behaves as Telegram does."""
    api = FakeBotApi()
    me = api.handle("getMe", {})
    assert me["is_bot"] is True
    message = api.handle("sendMessage", {"chat_id": 1, "text": "hi"})
    assert message["from"]["is_bot"] and message["date"] < 10**11


async def api_wait(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("not within the bound")
        await asyncio.sleep(0.02)
