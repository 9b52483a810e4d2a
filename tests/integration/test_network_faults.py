"""Network faults (issue 6): a Bot API that is down, slow, failing or rate-limiting.

The bot runs through ``bot.serving.serve``, the code ``verbatim serve`` runs (``run()`` only adds
the settings, the logging and the signals), against the fake Bot API over real HTTP on
127.0.0.1. The index uses the hashing embedder: these tests are about the network, not the
quality of the answers, and must stay fast. Every wait is bounded.

What must hold: the bot retries with backoff (start: ``getMe`` and ``deleteWebhook`` /
``setWebhook``; running: ``getUpdates``), honours a 429's retry_after, logs one clear line per
failure, comes up when the server comes back, and every question sent meanwhile gets exactly
one reply.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta

import pytest
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.app import Timeouts
from bot.delivery import Outage
from bot.serving import Backoff, BotApiError, Webhook, _retrying
from index.config import Settings
from tests.botharness import ServedBot, serving_bot, settle
from tests.fakebotapi import FakeBotApi, PortFakeBotApi, free_port, private, user

pytestmark = pytest.mark.integration

FIRST_USER = 5001
QUESTION = "When did Hekla erupt?"
RETRYING = re.compile(r"trying again in ([\d.]+) s")


@pytest.fixture
def api() -> PortFakeBotApi:
    """The fake, not yet listening (tests start it, or point the bot at it first)."""
    return PortFakeBotApi(at_port=free_port())


@pytest.fixture(autouse=True)
def _logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


def ask_many(api: FakeBotApi, count: int, first: int = FIRST_USER) -> list[int]:
    """``count`` users each ask the question in their private chat; their ids."""
    users = list(range(first, first + count))
    for uid in users:
        api.text(private(uid), user(uid), f"{QUESTION} ({uid})")
    return users


async def assert_one_reply_each(bot: ServedBot, users: list[int], timeout: float = 20.0) -> None:
    """Every user got a reply to their question, and, once the bot is idle, only one."""
    for uid in users:
        await bot.replies(uid, 1, timeout)
    await settle(bot)
    for uid in users:
        sent = bot.api.sent(uid)
        assert len(sent) == 1, [m["text"] for m in sent]
        assert sent[0]["reply_to_message"]["text"] == f"{QUESTION} ({uid})"
        assert not sent[0]["text"].startswith("Sorry"), sent[0]["text"]  # an answer


def warnings_of(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "bot.app" and text in r.getMessage()
    ]


async def wait_until(condition: object, what: str, timeout: float = 15.0) -> None:
    """Poll ``condition()`` (a callable) every 20 ms until truthy, or TimeoutError."""
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        await asyncio.sleep(0.02)


# -- at start ------------------------------------------------------------------------------------


async def test_a_server_down_at_start_is_waited_for_and_no_question_is_lost(
    api: PortFakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens at the Bot API's address when the bot starts: it tries again with a
    growing wait (one warning each), and when the server comes up, it starts and answers
    every question sent meanwhile, once."""
    async with serving_bot(api, settings) as bot:
        await wait_until(lambda: len(warnings_of(caplog, "cannot be reached")) >= 4, "retries")
        assert not bot.app.running
        users = ask_many(api, 4)  # queued at the server, which is down
        api.start()
        try:
            await bot.running()
            await assert_one_reply_each(bot, users)
        finally:
            api.stop()
    unreachable = warnings_of(caplog, "cannot be reached")
    waits = [float(w) for m in unreachable for w in RETRYING.findall(m)]
    assert waits[:4] == [0.05, 0.1, 0.2, 0.4]  # doubling
    assert max(waits) == 0.4  # capped
    assert all("ConnectError" in m for m in unreachable)
    assert any("reaching the Bot API: done, after" in r.getMessage() for r in caplog.records)


async def test_5xx_timeouts_and_429_at_start_are_retried(
    api: PortFakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """getMe answers 502, then 500, then too slowly (a read timeout), then 429 with
    retry_after; then deleteWebhook (the start of long polling) fails once: the bot waits as
    told and comes up, and the questions queued meanwhile are answered once each."""
    api.fail("getMe", 502, "Bad Gateway")
    api.fail("getMe", 500, "Internal Server Error")
    api.fail("getMe", 500, "Internal Server Error", delay=2.0)  # read timeout: 1 s
    api.fail("getMe", 429, "Too Many Requests: retry after 1", retry_after=1)
    api.fail("deleteWebhook", 503, "Service Unavailable")
    users = ask_many(api, 3)
    with api:
        async with serving_bot(api, settings, timeouts=Timeouts(read=1.0)) as bot:
            await bot.running(timeout=30)
            await assert_one_reply_each(bot, users)
    get_me = api.calls_of("getMe")
    assert len(get_me) == 5
    # retry_after honoured (by the rate limiter, which waits and retries a 429 itself)
    assert get_me[4].at - get_me[3].at >= 1.0
    assert len(api.calls_of("deleteWebhook")) == 2
    unreachable = warnings_of(caplog, "cannot be reached")
    assert any("Bad Gateway" in w for w in unreachable)
    assert any("TimedOut" in w for w in unreachable)
    assert any("starting long polling: it cannot be reached" in w for w in unreachable)


async def test_a_refusal_at_start_is_one_clear_error_not_endless_retries(
    api: PortFakeBotApi, settings: Settings
) -> None:
    """setWebhook refused (400: Telegram cannot use the URL): no point trying again."""
    api.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
    webhook = Webhook(url="https://example.invalid/telegram", secret="s3cret", port=free_port())
    with (
        api,
        pytest.raises(
            BotApiError,
            match=r"setting the webhook: .*refused it: Bad webhook: failed to resolve host",
        ),
    ):
        async with serving_bot(
            api, settings, webhook=webhook, TELEGRAM_WEBHOOK_SECRET="s3cret-s3cret-s3cret"
        ) as bot:
            await asyncio.wait_for(asyncio.shield(bot.task), 15)
    assert len(api.calls_of("setWebhook")) == 1


async def test_stop_while_the_server_is_down_ends_at_once(
    api: PortFakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM (the stop event) while the bot waits for the Bot API: it stops within the
    bound, cleanly (no error logged)."""
    async with serving_bot(api, settings, backoff=Backoff(first=5, cap=5), stop_timeout=3):
        await wait_until(lambda: warnings_of(caplog, "cannot be reached"), "first attempt")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- while running -------------------------------------------------------------------------------


async def test_get_updates_failures_and_429_lose_no_question(
    api: PortFakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """While the bot runs, getUpdates fails: a 502, a read timeout, a 429 with retry_after.
    Questions sent during each failure are all answered, once, when it recovers; the waits
    are as python-telegram-bot's polling loop promises (1 s after an error, at once after a
    timeout, retry_after + 0.5 s after a 429)."""
    timeouts = Timeouts(updates_read=0.5)  # getUpdates: 1 s long poll + 0.5 s
    faults = [(502, 0.0, None), (500, 2.5, None), (429, 0.0, 1)]
    failing: list[int] = []  # index of the failing call in the getUpdates calls
    with api:
        async with serving_bot(api, settings, timeouts=timeouts) as bot:
            await bot.running()
            users: list[int] = []
            for n, (status, delay, retry_after) in enumerate(faults):
                before = len(api.calls_of("getUpdates"))
                api.fail("getUpdates", status, "failing", delay=delay, retry_after=retry_after)
                # The failure hits the next call (one long poll is under way): ask then.
                await wait_until(lambda: api.failures_left("getUpdates") == 0, "the failure")
                failing.append(before)
                users += ask_many(api, 3, FIRST_USER + 10 * n)
                await assert_one_reply_each(bot, users)
    polls = [c.at for c in api.calls_of("getUpdates")]
    gap = [polls[i + 1] - polls[i] for i in failing]
    assert 0.9 <= gap[0] < 2.0, gap  # after an error: 1 s
    assert 1.3 <= gap[1] < 2.4, gap  # timed out after 1.5 s (not the 2.5 s answer), at once
    assert gap[2] >= 1.4, gap  # retry_after 1, + 0.5 s
    failed = warnings_of(caplog, "getUpdates failed")
    assert len(failed) == 1 and "failing" in failed[0]  # the 502 (a timeout or 429: none)


async def test_a_token_revoked_while_running_stops_the_bot_with_a_clear_error(
    api: PortFakeBotApi, settings: Settings
) -> None:
    """getUpdates answers 401: python-telegram-bot's polling ends for good, and the bot
    would run on, deaf. serve() ends instead, with a BotApiError (``verbatim serve`` prints
    it and exits 2), which names the setting, not its value."""
    with api, pytest.raises(BotApiError, match="refused TELEGRAM_BOT_TOKEN while") as info:
        async with serving_bot(api, settings) as bot:
            await bot.running()
            api.fail("getUpdates", 401, "Unauthorized")
            await asyncio.wait_for(asyncio.shield(bot.task), 10)
    assert api.token not in str(info.value)
    assert bot.app.running is False


async def test_retry_after_beyond_the_rate_limiter_is_honoured_at_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The rate limiter retries a 429 three times itself; a fourth reaches the start-up loop
    (``_retrying``, under ``serve``), which waits retry_after + 0.5 s, not its backoff. A
    refusal (403) is not retried."""
    outcomes: list[Exception | None] = [
        RetryAfter(timedelta(seconds=0.2)),
        NetworkError("Bad Gateway"),
        None,
    ]
    times: list[float] = []

    async def attempt() -> None:
        times.append(asyncio.get_running_loop().time())
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    await asyncio.wait_for(_retrying("testing", attempt, Backoff(first=0.05)), 10)
    assert times[1] - times[0] >= 0.7  # 0.2 s + 0.5 s
    assert 0.05 <= times[2] - times[1] < 0.5  # the backoff
    assert warnings_of(caplog, "testing: it asks to wait (429); trying again in 0.7 s")

    async def refused() -> None:
        raise Forbidden("Forbidden: bot was blocked")

    with pytest.raises(BotApiError, match="testing: the Bot API server refused it: Forbidden"):
        await asyncio.wait_for(_retrying("testing", refused, Backoff(first=0.05)), 10)


async def test_replies_in_flight_during_an_outage_are_sent_when_it_ends(
    api: PortFakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """20 users ask at once; as the first answer is sent, the server goes down (connections
    refused, open ones cut) for 3 s, then comes back. A reply that never
    reached the server is sent again with backoff: every user gets exactly one answer."""
    with api:
        async with serving_bot(
            api, settings, outage=Outage(first=0.1, cap=0.5), VERBATIM_TYPING_AFTER_SECONDS="0"
        ) as bot:
            await bot.running()
            api.down_on("sendMessage")
            users = ask_many(api, 20)
            await wait_until(lambda: not api.listening, "the outage")
            await asyncio.sleep(3.0)
            api.up()
            await assert_one_reply_each(bot, users, timeout=30)
    resent = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.delivery" and "did not reach the Bot API" in r.getMessage()
    ]
    assert resent and all("sendMessage" in m or "answer" in m for m in resent), resent[:3]
    assert not [r for r in caplog.records if "given up" in r.getMessage()]


async def test_a_reply_that_cannot_reach_the_server_is_given_up_after_the_bound(
    api: PortFakeBotApi, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An outage longer than the bound: the reply is given up with one error line (and no
    apology is attempted for ever)."""
    with api:
        async with serving_bot(
            api, settings, outage=Outage(first=0.1, cap=0.2, give_up_after=1.0)
        ) as bot:
            await bot.running()
            api.down_on("sendMessage")
            users = ask_many(api, 1)
            await wait_until(
                lambda: any("given up" in r.getMessage() for r in caplog.records), "giving up"
            )
            api.up()
    lost = [r.getMessage() for r in caplog.records if "given up" in r.getMessage()]
    assert lost and "sendMessage" in lost[0]
    assert not api.sent(users[0]) or len(api.sent(users[0])) == 1
