"""Runs the real bot (``bot.app.build_application``) against a ``FakeBotApi``, in-process.

``Application.run_polling`` owns the event loop and calls ``post_init``; tests and benchmarks
already have a loop, so ``running_bot`` goes through the same steps by hand: initialize,
post_init (model + index + commands), start polling, start; and the reverse on exit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot import handlers
from bot.app import Timeouts, build_application
from bot.config import BotSettings
from bot.delivery import Outage
from bot.serving import Backoff, Webhook, serve
from index.config import Settings
from index.embedding import Embedder
from tests.fakebotapi import FakeBotApi


@dataclass
class RunningBot:
    api: FakeBotApi
    app: Application  # type: ignore[type-arg]
    settings: Settings
    bot_settings: BotSettings

    async def replies(self, chat_id: int, count: int = 1, timeout: float = 20.0) -> list[Any]:
        """The bot's messages in ``chat_id`` once there are at least ``count`` of them."""
        return await asyncio.to_thread(self.api.wait_for_sent, chat_id, count, timeout)

    async def calls(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Any]:
        return await asyncio.to_thread(self.api.wait_for_calls, method, count, timeout)

    async def idle(self, quiet: float = 0.6) -> None:
        await asyncio.to_thread(self.api.idle, quiet)


def bot_settings_for(api: FakeBotApi, **env: str) -> BotSettings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_FILE_URL": api.base_file_url,
        **env,
    }
    return BotSettings(**values)


@asynccontextmanager
async def running_bot(
    api: FakeBotApi, settings: Settings, embedder: Embedder, **env: str
) -> AsyncIterator[RunningBot]:
    bot_settings = bot_settings_for(api, **env)
    app = build_application(settings, bot_settings, embedder)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    try:
        yield RunningBot(api, app, settings, bot_settings)
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        await app.shutdown()


# -- the bot as ``verbatim serve`` runs it (network-fault and security tests) --------------------


@dataclass
class ServedBot(RunningBot):
    """A bot run by ``bot.serving.serve`` (the code ``verbatim serve`` runs) as a task."""

    task: asyncio.Task[None]
    stop: asyncio.Event

    async def running(self, timeout: float = 20.0) -> None:
        """Wait until the bot handles updates (it may be waiting for the Bot API)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.app.running:
            if self.task.done():
                self.task.result()  # what serve raised
                raise AssertionError("serve() returned before the bot ran")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"the bot did not start in {timeout:.0f}s")
            await asyncio.sleep(0.02)


@asynccontextmanager
async def serving_bot(
    api: FakeBotApi,
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    webhook: Webhook | None = None,
    backoff: Backoff | None = None,
    timeouts: Timeouts | None = None,
    outage: Outage | None = None,
    poll_timeout: float = 1.0,
    stop_timeout: float = 20.0,
    **env: str,
) -> AsyncIterator[ServedBot]:
    """``bot.serving.serve`` in a task, against ``api`` (which need not be listening yet). Yields
    at once: the bot may still be reaching the Bot API (``await bot.running()``). On exit,
    stops it (within ``stop_timeout``) and re-raises what ``serve`` raised, if anything."""
    bot_settings = bot_settings_for(api, **env)
    app = build_application(settings, bot_settings, embedder, timeouts=timeouts, outage=outage)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(
            app,
            stop,
            webhook=webhook,
            backoff=backoff or Backoff(first=0.05, factor=2.0, cap=0.4),
            poll_timeout=poll_timeout,
        ),
        name="serve",
    )
    served = ServedBot(api, app, settings, bot_settings, task, stop)
    failed = True
    try:
        yield served
        failed = False
    finally:
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=stop_timeout)
        if not done:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if not failed:
                raise TimeoutError(f"serve() did not stop within {stop_timeout:.0f}s")
        elif not task.cancelled():
            error = task.exception()  # retrieved either way: no "never retrieved" warning
            if error is not None and not failed:
                raise error


async def settle(bot: RunningBot, quiet: float = 0.15, timeout: float = 20.0) -> None:
    """Wait until the bot has fetched and handled every queued update and answered every
    question waiting its turn, no rebuild is running and it made no Bot API call for
    ``quiet`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    service = bot.app.bot_data.service
    while loop.time() < deadline:
        if bot.api.pending():
            await asyncio.sleep(0.02)
            continue
        await asyncio.wait_for(bot.app.update_queue.join(), max(0.01, deadline - loop.time()))
        if service.rebuilding or time.monotonic() - bot.api.last_call_at() < quiet:
            await asyncio.sleep(0.05)
            continue
        if (
            not bot.api.pending()
            and bot.app.update_processor.current_concurrent_updates == 0
            and handlers.questions_waiting(bot.app) == 0
        ):
            return
    raise TimeoutError("the bot did not settle")


VOLCANOES = (
    "# Volcanoes of Iceland\n\n"
    "Iceland has about 130 volcanic mountains. Hekla erupted in 2000 and is among the most "
    "active volcanoes in the country.\n\n"
    "Eyjafjallajökull erupted in 2010 and disrupted air travel across Europe for six days.\n"
)


def template_settings(root: Path) -> Settings:
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index")


def build_template(root: Path, embedder: Embedder) -> Path:
    """A corpus (the bundled article and a short second document) and its index in ``root``,
    for tests that copy it per case."""
    import shutil

    from index.engine import Engine
    from tests.conftest import ARTICLE

    (root / "corpus").mkdir()
    shutil.copy(ARTICLE, root / "corpus" / ARTICLE.name)
    (root / "corpus" / "volcanoes.md").write_text(VOLCANOES, encoding="utf-8")
    Engine(template_settings(root), embedder).build()
    return root
