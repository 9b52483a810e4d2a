"""Telegram handlers: thin, async, one job per module. The work happens in ``AnswerService``.

* ``context`` — the typed bot and user data (``ContextTypes``);
* ``common`` — admission (allow-list, flood control), HTML
  replies with their fallbacks, answering a button press once;
* ``questions`` — text messages and /ask: each user's questions in turn, one reply each;
* ``buttons`` — More, Closest passage, 👍 / 👎;
* ``inline`` — inline mode;
* ``operators`` — uploads, links, /add and /reindex;
* ``documents`` — /documents: the corpus listing, paged, with Remove buttons;
* ``commands`` — /start, /help, /sources, /reset, other messages, unknown commands;
* ``errors`` — the one error handler.
"""

from bot.handlers.buttons import on_callback
from bot.handlers.commands import (
    on_ask_command,
    on_help,
    on_other,
    on_reset,
    on_sources,
    on_start,
    on_unknown_command,
)
from bot.handlers.context import CONTEXT_TYPES, BotData, Context
from bot.handlers.documents import on_documents, on_documents_press
from bot.handlers.errors import on_error
from bot.handlers.inline import on_inline
from bot.handlers.operators import on_add, on_document, on_reindex, sanitise_filename
from bot.handlers.questions import answer_question, on_text, questions_waiting

__all__ = [
    "CONTEXT_TYPES",
    "BotData",
    "Context",
    "answer_question",
    "on_add",
    "on_ask_command",
    "on_callback",
    "on_document",
    "on_documents",
    "on_documents_press",
    "on_error",
    "on_help",
    "on_inline",
    "on_other",
    "on_reindex",
    "on_reset",
    "on_sources",
    "on_start",
    "on_text",
    "on_unknown_command",
    "questions_waiting",
    "sanitise_filename",
]
