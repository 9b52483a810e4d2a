"""The one error handler: log, apologise once, keep running."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.handlers.common import APOLOGY, texts
from bot.handlers.context import Context

log = logging.getLogger("bot.handlers")  # one name for all handlers, as in the logs


async def on_error(update: object, context: Context) -> None:
    """The one error handler: log with traceback, apologise, keep running."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        apology = texts(update)(APOLOGY)
        query = update.callback_query
        if query is not None and query.id not in context.bot_data.answered:
            await query.answer(apology)
        elif query is not None:  # answered already: a press is answered once, say it here
            if isinstance(query.message, Message):
                await query.message.reply_text(apology)
        elif update.effective_message is not None and update.inline_query is None:
            await update.effective_message.reply_text(apology)
    except Exception as exc:  # the Bot API itself may be what failed
        log.warning("could not send the apology: %s", exc)
