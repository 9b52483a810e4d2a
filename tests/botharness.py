"""Runs the real bot (``bot.app.build_application``) against a ``FakeBotApi``, in-process.

``Application.run_polling`` owns the event loop and calls ``post_init``; tests and benchmarks
already have a loop, so ``running_bot`` goes through the same steps by hand: initialize,
post_init (model + index + commands), start polling, start; and the reverse on exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import BotSettings
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
