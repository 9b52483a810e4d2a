"""Inline mode: ``@bot words`` in any chat offers passages to send."""

from __future__ import annotations

import hashlib
import logging

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot.handlers.common import (
    _INLINE_MAX_CHARS,
    _INLINE_RESULTS,
    _allowed,
    no_preview,
)
from bot.handlers.context import Context
from bot.render import passage_html
from index.errors import QuestionError

log = logging.getLogger("bot.handlers")  # one name for all handlers, as in the logs

# -- inline mode ---------------------------------------------------------------------------------


def _personal(context: Context) -> bool:
    """Inline results are cached by Telegram for everyone who types the same query, unless
    personal: with an allow-list they must be, or a stranger would get an allowed user's."""
    return bool(context.settings.allowed_chat_ids)


async def on_inline(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    text = query.query
    if not _allowed(update, context) or not text.strip() or len(text) > _INLINE_MAX_CHARS:
        await query.answer([], cache_time=10, is_personal=_personal(context))
        return
    service = context.service
    try:
        answer = await service.ask(text, (), k=_INLINE_RESULTS)
    except QuestionError:
        await query.answer([], cache_time=10, is_personal=_personal(context))
        return
    results = []
    for i, p in enumerate(answer.passages[:_INLINE_RESULTS]):
        rid = hashlib.sha256(f"{p.doc_id}:{p.start}:{p.end}".encode()).hexdigest()[:16]
        results.append(
            InlineQueryResultArticle(
                id=f"{i}-{rid}",
                title=p.title[:100],
                description=p.highlight[:200],
                input_message_content=InputTextMessageContent(
                    passage_html(p),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=no_preview(passage_html(p)),
                ),
            )
        )
    await query.answer(results, cache_time=10, is_personal=_personal(context))
