"""Security (issue 6): the webhook's secret, secrets in logs and errors, who may do what.

The bot runs through ``bot.serving.serve`` (what ``verbatim serve`` runs) against the fake Bot API
over real HTTP on 127.0.0.1, or as ``verbatim`` itself in a subprocess whose Bot API address
is a closed local port (or the fake): nothing reaches the internet. The index uses the
hashing embedder (fast; these tests are not about answer quality). Every wait is bounded.

``tests/integration/test_hostile.py`` already covers the operators-only commands for readers
in private chats and in groups without an allow-list, and the allow-list refusing text, commands,
stickers, uploads, one button and one inline query; the cases here are the ones it does not:
the allow-list with admins and groups together, anonymous group admins, and the allowed side
of each refusal (so that a refusal is not just a bot that refuses everything).

One module (about 630 lines): the security cases of issue 6 together, one per threat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Timeouts
from bot.config import BotSettings
from bot.redaction import install_redaction, secrets_of
from bot.serving import BotApiError, Webhook
from index.config import Settings
from index.engine import Engine
from tests.botharness import ServedBot, bot_settings_for, serving_bot, settle
from tests.fakebotapi import (
    BOT_USERNAME,
    TOKEN,
    FakeBotApi,
    PortFakeBotApi,
    free_port,
    group,
    private,
    user,
)

pytestmark = pytest.mark.integration

SECRET = "Webhook-secret_7c1f9e2b4d6a8"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_URL = "https://example.invalid/telegram"
READER = 2002
ADMIN = 1001
ALLOWED_USER = 3003
ALLOWED_GROUP = -100_300
OTHER_GROUP = -100_400
ANONYMOUS_ADMIN = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
MENTION = f"@{BOT_USERNAME}"
OPERATORS_ONLY = "only the bot's operators"
PRIVATE_BOT = "this bot is private"
LOGGERS = (None, "httpx", "httpcore", "telegram", "bot", "index", "tornado", "asyncio")


@pytest.fixture
def api() -> Iterator[PortFakeBotApi]:
    fake = PortFakeBotApi().start()
    try:
        yield fake
    finally:
        fake.stop()


# -- logs ----------------------------------------------------------------------------------------


class Collect(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Collect]:
    """Every logger at DEBUG into caplog; after the test, the record factory and the root
    handlers' filters as they were (install_redaction changes both). Yields a handler that
    the test attaches, after the redaction is installed, to loggers below the root: records
    reach it before any root handler (and its filter) sees them."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    factory = logging.getLogRecordFactory()
    filters = {h: list(h.filters) for h in logging.getLogger().handlers}
    late = Collect()
    yield late
    for name in ("httpx", "telegram"):
        logging.getLogger(name).removeHandler(late)
    logging.setLogRecordFactory(factory)
    for h, kept in filters.items():
        h.filters[:] = kept


def redact_as_run_does(
    bot_settings: BotSettings, caplog: pytest.LogCaptureFixture, late: Collect
) -> None:
    """``install_redaction`` (as ``run()`` calls it), then everything at DEBUG again (it
    quietens httpx, whose records hold the token: they must be redacted, not just hidden),
    and a handler on two loggers that exists only from now on."""
    install_redaction(bot_settings)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    for name in ("httpx", "telegram"):
        logging.getLogger(name).addHandler(late)


def rendered(record: logging.LogRecord) -> list[str]:
    """What a handler could write of ``record``: formatted, with any traceback and stack."""
    texts = [
        logging.Formatter("%(name)s %(levelname)s %(message)s").format(record),
        record.getMessage(),
    ]
    if record.exc_info:
        texts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        texts.append(record.exc_text)
    if record.stack_info:
        texts.append(record.stack_info)
    return texts


def assert_no_secret_logged(
    records: list[logging.LogRecord], secrets: list[str], *, caplog_text: str = ""
) -> None:
    leaks = [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in records
        if any(s in text for s in secrets for text in rendered(r))
    ]
    assert leaks == []
    assert not any(s in caplog_text for s in secrets)


def all_secrets(bot_settings: BotSettings) -> list[str]:
    secrets = [s for s in secrets_of(bot_settings) if s]
    assert TOKEN in secrets and TOKEN.split(":")[1] in secrets
    return secrets


# -- the webhook ---------------------------------------------------------------------------------


def update_for(api: FakeBotApi, update_id: int, uid: int, text: str) -> dict[str, Any]:
    """An update as Telegram would post it to the webhook (the message stored at the fake, so
    that the bot can reply to it)."""
    message = api.store_incoming({"chat": private(uid), "from": user(uid), "text": text})
    return {"update_id": update_id, "message": message}


async def test_the_webhook_refuses_requests_without_the_secret(
    api: PortFakeBotApi,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    debug_logs: Collect,
) -> None:
    """Webhook mode, for real: the bot sets its webhook (URL and secret) at the Bot API and
    listens on 127.0.0.1; a POST without the secret header, or with a wrong one, is refused
    (403) and never handled; with it, the update is answered through the Bot API. The logs
    (all at DEBUG, a setWebhook retried, a Bot API call failing) hold neither secret."""
    bot_settings = bot_settings_for(api, TELEGRAM_WEBHOOK_SECRET=SECRET)
    redact_as_run_does(bot_settings, caplog, debug_logs)
    api.fail("setWebhook", 502, "Bad Gateway")
    api.fail("sendChatAction", 500, "Internal Server Error")
    port = free_port()
    webhook = Webhook(url=WEBHOOK_URL, secret=SECRET, port=port)
    async with serving_bot(
        api,
        settings,
        webhook=webhook,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        VERBATIM_TYPING_AFTER_SECONDS="0",
    ) as bot:
        await bot.running()
        assert api.webhook is not None
        assert api.webhook["url"] == WEBHOOK_URL
        assert api.webhook["secret_token"] == SECRET
        assert len(api.calls_of("setWebhook")) == 2  # the 502, then again
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            missing = await client.post(url, json=update_for(api, 1, READER, "no header?"))
            wrong = await client.post(
                url,
                json=update_for(api, 2, READER, "wrong secret?"),
                headers={SECRET_HEADER: "Webhook-secret_guess"},
            )
            near = await client.post(
                url,
                json=update_for(api, 3, READER, "nearly the secret?"),
                headers={SECRET_HEADER: SECRET.upper()},
            )
            right = await client.post(
                url,
                json=update_for(api, 4, READER, "When did Hekla erupt?"),
                headers={SECRET_HEADER: SECRET},
            )
        assert [missing.status_code, wrong.status_code, near.status_code] == [403, 403, 403]
        assert right.status_code == 200
        reply = (await bot.replies(READER, 1))[0]
        await settle(bot)
        assert [m["reply_to_message"]["text"] for m in api.sent()] == ["When did Hekla erupt?"]
        assert reply["text"] and not reply["text"].startswith("Sorry")
        assert api.calls_of("getUpdates") == []  # webhook mode: no polling
    secrets = all_secrets(bot.bot_settings)
    assert SECRET in secrets
    assert_no_secret_logged(caplog.records, secrets, caplog_text=caplog.text)
    assert_no_secret_logged(debug_logs.records, secrets)
    # The records that held them were there, redacted: the check above saw them.
    set_webhook = [
        r.getMessage() for r in caplog.records if "`setWebhook` with parameters" in r.getMessage()
    ]
    assert set_webhook and all("[REDACTED]" in m for m in set_webhook)
    assert any("/bot[REDACTED]/setWebhook" in r.getMessage() for r in debug_logs.records)


# -- secrets in logs and errors ------------------------------------------------------------------


async def test_secrets_never_reach_the_logs_when_polling_fails(
    api: PortFakeBotApi,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    debug_logs: Collect,
) -> None:
    """Long polling with every logger at DEBUG while the Bot API fails: getMe 500 at start,
    getUpdates 502 and a timeout, sendMessage 500 (an error with a traceback, then the
    apology), sendChatAction 401. Neither the token nor the webhook secret appears in any
    record, formatted, with its traceback, in caplog or in a handler added later."""
    bot_settings = bot_settings_for(api, TELEGRAM_WEBHOOK_SECRET=SECRET)
    redact_as_run_does(bot_settings, caplog, debug_logs)
    api.fail("getMe", 500, "Internal Server Error")
    api.fail("sendMessage", 500, "Internal Server Error")
    api.fail("sendChatAction", 401, "Unauthorized")
    async with serving_bot(
        api,
        settings,
        timeouts=Timeouts(updates_read=0.3),
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        VERBATIM_TYPING_AFTER_SECONDS="0",
    ) as bot:
        await bot.running()
        api.fail("getUpdates", 502, "Bad Gateway")
        api.fail("getUpdates", 500, "slow", delay=2.0)  # read timeout: 1 s poll + 0.3 s
        api.text(private(READER), user(READER), "When did Hekla erupt?")
        await bot.replies(READER, 1)
        api.text(private(READER), user(READER), "When did Eyjafjallajökull erupt?")
        await bot.replies(READER, 2)
        await settle(bot)
        texts = [m["text"] for m in api.sent(READER)]
        assert texts[0].startswith("Sorry") and not texts[1].startswith("Sorry")
    secrets = all_secrets(bot.bot_settings)
    assert_no_secret_logged(caplog.records, secrets, caplog_text=caplog.text)
    assert_no_secret_logged(debug_logs.records, secrets)
    # The check saw what it had to: URLs with the token (redacted), errors with tracebacks.
    assert any("/bot[REDACTED]/getUpdates" in r.getMessage() for r in debug_logs.records)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert errors
    assert api.failures_left("getUpdates") == 0


async def test_a_revoked_token_is_not_shown_in_the_error(
    api: PortFakeBotApi,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    debug_logs: Collect,
) -> None:
    """getMe answers 401. python-telegram-bot's InvalidToken says "The token `<token>` was
    rejected": the bot's error names the setting instead, and neither the error, its
    traceback nor the logs hold the token."""
    bot_settings = bot_settings_for(api)
    redact_as_run_does(bot_settings, caplog, debug_logs)
    api.fail("getMe", 401, "Unauthorized")
    with pytest.raises(BotApiError, match="refused TELEGRAM_BOT_TOKEN") as info:
        async with serving_bot(api, settings) as bot:
            await bot.task
    shown = "".join(traceback.format_exception(info.value))
    secrets = all_secrets(bot_settings)
    assert not any(s in shown for s in secrets)
    assert_no_secret_logged(caplog.records, secrets, caplog_text=caplog.text)


def test_redaction_covers_handlers_added_later_and_keeps_the_error(
    caplog: pytest.LogCaptureFixture, debug_logs: Collect
) -> None:
    """A record made after install_redaction is redacted before any handler sees it, even
    one attached to a library's logger afterwards; an exception that held a secret stays an
    exception on the record (so an error is still an error), with its text redacted."""
    api = PortFakeBotApi()  # not started: its settings only
    redact_as_run_does(bot_settings_for(api, TELEGRAM_WEBHOOK_SECRET=SECRET), caplog, debug_logs)
    logger = logging.getLogger("telegram.ext.Updater")
    logger.debug("POST http://127.0.0.1/bot%s/getMe secret=%s", TOKEN, SECRET)
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        logger.exception("failed")
    logger.warning("half of it: %s", TOKEN.split(":")[1])
    records = [r for r in debug_logs.records if r.name == "telegram.ext.Updater"]
    assert len(records) == 3
    assert_no_secret_logged(records, [TOKEN, TOKEN.split(":")[1], SECRET])
    assert records[0].getMessage() == "POST http://127.0.0.1/bot[REDACTED]/getMe secret=[REDACTED]"
    assert records[1].exc_info is not None and records[1].levelno == logging.ERROR
    assert "RuntimeError: The token `[REDACTED]` was rejected" in logging.Formatter().format(
        records[1]
    )


# -- the command line ----------------------------------------------------------------------------

REVOKED = "777:Revoked-token-value_abcdefghijklmno"
MARK = "NeverShowThis123"  # inside malformed values


def cli_env(tmp_path: Path, corpus: Path, **env: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "VERBATIM_")) and "PROXY" not in k.upper()
    }
    return {
        **base,
        "VERBATIM_MODEL": "hashing-fake",
        "VERBATIM_CORPUS_DIR": str(corpus),
        "VERBATIM_INDEX_DIR": str(tmp_path / "index"),
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",  # nothing listens
        **env,
    }


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


GOOD = {"TELEGRAM_BOT_TOKEN": TOKEN}
WEBHOOK = ["serve", "--webhook-url", "https://bot.example.invalid"]


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        pytest.param(
            ["serve"],
            {"TELEGRAM_BOT_TOKEN": f"12345:{MARK}!"},
            "TELEGRAM_BOT_TOKEN: does not look like a bot token",
            id="malformed-token",
        ),
        pytest.param(
            WEBHOOK,
            {"TELEGRAM_BOT_TOKEN": f"not a token {MARK}", "TELEGRAM_WEBHOOK_SECRET": SECRET},
            "TELEGRAM_BOT_TOKEN: does not look like a bot token",
            id="malformed-token-webhook",
        ),
        pytest.param(
            WEBHOOK, GOOD, "webhook mode needs TELEGRAM_WEBHOOK_SECRET", id="missing-secret"
        ),
        pytest.param(
            WEBHOOK,
            {**GOOD, "TELEGRAM_WEBHOOK_SECRET": f"with spaces {MARK}"},
            "TELEGRAM_WEBHOOK_SECRET: must be 16-256 characters",
            id="malformed-secret",
        ),
        pytest.param(
            WEBHOOK,
            {**GOOD, "TELEGRAM_WEBHOOK_SECRET": "Sh0rt-secret"},
            "TELEGRAM_WEBHOOK_SECRET: must be 16-256 characters",
            id="guessable-secret",
        ),
        pytest.param(
            ["serve", "--webhook-url", "http://bot.example.invalid"],
            {**GOOD, "TELEGRAM_WEBHOOK_SECRET": SECRET},
            "--webhook-url must be an https:// URL",
            id="http-webhook-url",
        ),
    ],
)
def test_serve_refuses_bad_settings_in_one_line_without_the_values(
    args: list[str], env: dict[str, str], says: str, tmp_path: Path, corpus: Path
) -> None:
    result = run_cli(args, cli_env(tmp_path, corpus, **env))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verbatim: ") and says in lines[0], lines
    output = result.stdout + result.stderr
    for secret in [TOKEN, TOKEN.split(":")[1], SECRET, MARK]:
        assert secret not in output


def test_serve_with_a_revoked_token_says_so_without_it(tmp_path: Path, corpus: Path) -> None:
    """The Bot API (the fake, which knows another token) answers 401: one clear line, exit
    2, no traceback, no token. (Before: python-telegram-bot's traceback, token included.)"""
    with FakeBotApi() as api:
        env = cli_env(
            tmp_path, corpus, TELEGRAM_BOT_TOKEN=REVOKED, TELEGRAM_API_BASE_URL=api.base_url
        )
        result = run_cli(["serve"], env)  # (the fake refuses it before recording a call)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("verbatim: the Bot API server refused TELEGRAM_BOT_TOKEN")
    assert "Traceback" not in result.stderr
    assert REVOKED not in result.stderr + result.stdout
    assert REVOKED.split(":")[1] not in result.stderr + result.stdout


def test_serve_waits_for_an_unreachable_api_and_stops_on_sigterm(
    tmp_path: Path, corpus: Path
) -> None:
    """``verbatim serve`` (run() itself) with nothing at the Bot API's address: it says so,
    once per attempt, without the token, and SIGTERM stops it cleanly (exit 0)."""
    env = cli_env(tmp_path, corpus, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    stderr = proc.stderr
    assert stderr is not None

    def read() -> None:
        for line in stderr:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not any("cannot be reached" in line for line in seen):
            assert time.monotonic() < deadline, seen
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    reader.join(timeout=5)
    while not lines.empty():
        seen.append(lines.get_nowait())
    text = "".join(seen)
    assert proc.returncode == 0, text
    assert "Traceback" not in text
    assert re.search(r"reaching the Bot API: it cannot be reached .*trying again in 1 s", text)
    for secret in [TOKEN, TOKEN.split(":")[1], SECRET]:
        assert secret not in text


def test_index_info_does_not_show_the_secrets(
    tmp_path: Path, corpus: Path, settings: Settings
) -> None:
    assert settings.index_dir == tmp_path / "index"  # where cli_env points
    Engine.open(settings).build()
    env = cli_env(tmp_path, corpus, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET)
    for args in (["index", "info"], ["index", "info", "--json"]):
        result = run_cli(args, env)
        assert result.returncode == 0, result.stderr
        assert "chunks" in result.stdout
        for secret in [TOKEN, TOKEN.split(":")[1], SECRET]:
            assert secret not in result.stdout + result.stderr


# -- who may do what -----------------------------------------------------------------------------


class Conversation:
    """Sends updates to a running bot and returns what it did about each one, once idle."""

    def __init__(self, bot: ServedBot) -> None:
        self.bot = bot

    async def do(self, send: Any) -> tuple[list[dict[str, Any]], list[str]]:
        """(new messages from the bot, new callback answers) after ``send(api)``."""
        api = self.bot.api
        sent = {(m["chat"]["id"], m["message_id"]) for m in api.sent()}
        answers = len(api.calls_of("answerCallbackQuery"))
        send(api)
        await settle(self.bot)
        new = [m for m in api.sent() if (m["chat"]["id"], m["message_id"]) not in sent]
        said = [str(c.params.get("text", "")) for c in api.calls_of("answerCallbackQuery")]
        return new, said[answers:]


def in_chat(chat: dict[str, Any], sender: dict[str, Any], text: str) -> Any:
    return lambda api: api.text(chat, sender, text)


def upload(chat: dict[str, Any], uid: int) -> Any:
    return lambda api: api.document(
        chat, user(uid), "geysers.txt", b"Strokkur erupts every few minutes.", caption=MENTION
    )


def vote(chat: dict[str, Any], uid: int) -> Any:
    """A 👍 on an answer in ``chat`` (the answer replies to a question, as the bot's do)."""
    question = {"message_id": 7000, "date": 0, "chat": chat, "from": user(uid), "text": "Hekla?"}
    answer = {
        "message_id": 7001,
        "date": 0,
        "chat": chat,
        "from": {"id": 4242, "is_bot": True, "first_name": "Verbatim"},
        "text": "A quote",
        "reply_to_message": question,
        "reply_markup": {
            "inline_keyboard": [[{"text": "👍", "callback_data": "vote:0123456789ab:up"}]]
        },
    }
    return lambda api: api.callback(user(uid), data="vote:0123456789ab:up", message=answer)


def inline_vote(uid: int) -> Any:
    """A button under a message sent in inline mode: no chat, only the user."""
    return lambda api: api.callback(
        user(uid), data="vote:0123456789ab:up", inline_message_id="inline-7"
    )


async def test_operators_only_and_the_allow_list_in_groups_buttons_and_inline(
    settings: Settings, api: PortFakeBotApi
) -> None:
    allowed, other = group(ALLOWED_GROUP), group(OTHER_GROUP)
    async with serving_bot(
        api,
        settings,
        VERBATIM_ADMIN_IDS=str(ADMIN),
        VERBATIM_ALLOWED_CHAT_IDS=f"{ALLOWED_GROUP},{ALLOWED_USER}",
        VERBATIM_RELOAD_SECONDS="0.2",
    ) as bot:
        await bot.running()
        talk = Conversation(bot)
        service = bot.app.bot_data.service
        version = service.index_version()

        # Operators only, in a group the allow-list admits: a reader, an anonymous admin
        # (the group's admins posting as the group: Telegram hides who), and the operator.
        for send in [
            in_chat(allowed, user(READER), f"/reindex@{BOT_USERNAME}"),
            in_chat(allowed, user(READER), "/reindex"),
            upload(allowed, READER),
            lambda api: api.text(
                allowed, ANONYMOUS_ADMIN, f"/reindex@{BOT_USERNAME}", sender_chat=allowed
            ),
        ]:
            new, _ = await talk.do(send)
            assert len(new) == 1 and OPERATORS_ONLY in new[0]["text"], new
            assert new[0]["chat"]["id"] == ALLOWED_GROUP
        assert api.calls_of("getFile") == []
        assert service.index_version() == version
        new, _ = await talk.do(in_chat(allowed, user(READER), f"/help@{BOT_USERNAME}"))
        assert len(new) == 1 and "Operators" not in new[0]["text"]
        new, _ = await talk.do(in_chat(allowed, user(ADMIN), f"/help@{BOT_USERNAME}"))
        assert len(new) == 1 and "Operators" in new[0]["text"]

        # The allow-list before the operators: nothing at all in a group it does not admit,
        # not even for the operator, nor for a user it admits in private.
        for send in [
            in_chat(other, user(ADMIN), f"/reindex@{BOT_USERNAME}"),
            upload(other, ADMIN),
            in_chat(other, user(ALLOWED_USER), f"{MENTION} When did Hekla erupt?"),
            in_chat(other, user(ALLOWED_USER), f"/start@{BOT_USERNAME}"),
        ]:
            new, _ = await talk.do(send)
            assert new == []
        assert api.calls_of("getFile") == []
        assert service.index_version() == version and not service.rebuilding

        # ... and the operator where it does admit them: the same command works.
        new, _ = await talk.do(in_chat(allowed, user(ADMIN), f"/reindex@{BOT_USERNAME}"))
        assert len(new) == 1 and new[0]["text"].startswith("Rebuilding the index")
        await asyncio.to_thread(
            api.wait_for, lambda a: "Index updated" in a.sent(ALLOWED_GROUP)[-1]["text"], 20
        )
        new, _ = await talk.do(in_chat(private(ALLOWED_USER), user(ALLOWED_USER), "Hekla?"))
        assert len(new) == 1 and PRIVATE_BOT not in new[0]["text"]
        new, _ = await talk.do(in_chat(private(READER), user(READER), "Hekla?"))
        assert len(new) == 1 and PRIVATE_BOT in new[0]["text"]

        # Buttons: judged by the chat they are in (or, with none, by who pressed them).
        feedback = settings.index_dir / "feedback.jsonl"
        for send, ok in [
            (vote(other, ALLOWED_USER), False),
            (vote(group(ALLOWED_GROUP), READER), True),
            (inline_vote(READER), False),
            (inline_vote(ALLOWED_USER), True),
        ]:
            new, said = await talk.do(send)
            assert new == [] and len(said) == 1
            assert (PRIVATE_BOT in said[0].lower()) is not ok, said
        votes = feedback.read_text(encoding="utf-8").splitlines() if feedback.exists() else []
        assert len(votes) == 1  # the one in the allowed group (the inline one: expired)

        # Inline queries: by who asks.
        for uid, ok in [(READER, False), (ALLOWED_USER, True)]:
            before = len(api.calls_of("answerInlineQuery"))
            await talk.do(lambda api, uid=uid: api.inline(user(uid), "When did Hekla erupt?"))
            answers = api.calls_of("answerInlineQuery")
            assert len(answers) == before + 1
            assert bool(answers[-1].params["results"]) is ok
