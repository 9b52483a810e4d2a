"""The handlers' typed state, through python-telegram-bot's ``ContextTypes``: what the bot
holds for all chats (``BotData``: the answering service, the settings, the example questions,
uploads waiting for a choice, button presses answered) and for each user (``UserData``: the
user's questions waiting their turn). Conversations, buttons and votes are in the state store
(``bot.state``), which outlives the process; this is what lives only while it runs."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.config import BotSettings
from bot.service import AnswerService

MAX_PENDING_UPLOADS = 8  # each holds the file (at most VERBATIM_MAX_UPLOAD_BYTES) in memory
MAX_ANSWERED = 5000  # button presses remembered as answered (the error handler asks)


@dataclass(frozen=True)
class PendingUpload:
    """An upload waiting for the operator's answer: replace, keep both or cancel."""

    name: str
    data: bytes = field(repr=False)
    chat: int
    message_id: int


@dataclass
class Turns:
    """One user's questions: the last one's task (the next waits for it), how many wait or
    run, and whether the one "too many" reply of this burst was sent."""

    last: asyncio.Task[None] | None = None
    waiting: int = 0
    warned: bool = False


@dataclass
class UserData:
    """What the bot holds for one user while it runs."""

    turns: Turns = field(default_factory=Turns)


@dataclass
class BotData:
    """What the bot holds for all chats while it runs. ``service`` and ``settings`` are set by
    ``bot.app.build_application`` before any update is handled (python-telegram-bot makes this
    object with no arguments)."""

    service: AnswerService | None = None
    settings: BotSettings | None = None
    examples: list[str] = field(default_factory=list)
    uploads: OrderedDict[str, PendingUpload] = field(default_factory=OrderedDict)
    answered: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def remember_upload(self, token: str, upload: PendingUpload) -> None:
        self.uploads[token] = upload
        while len(self.uploads) > MAX_PENDING_UPLOADS:
            self.uploads.popitem(last=False)

    def note_answered(self, query_id: str) -> None:
        self.answered[query_id] = None
        while len(self.answered) > MAX_ANSWERED:
            self.answered.popitem(last=False)


class Context(CallbackContext[ExtBot[None], UserData, dict[Any, Any], BotData]):
    """The context every handler gets: python-telegram-bot's, with typed bot and user data."""

    @property
    def service(self) -> AnswerService:
        service = self.bot_data.service
        if service is None:
            raise RuntimeError("the bot's service is not set (build_application sets it)")
        return service

    @property
    def settings(self) -> BotSettings:
        settings = self.bot_data.settings
        if settings is None:
            raise RuntimeError("the bot's settings are not set (build_application sets them)")
        return settings

    @property
    def turns(self) -> Turns:
        """The user's question queue (a fresh one for an update without a user)."""
        return self.user_data.turns if self.user_data is not None else Turns()


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData, user_data=UserData)
