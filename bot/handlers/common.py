"""What every handler shares: the service and settings of the bot, admission (allow-list
and flood control), replies in HTML with their fallbacks, and answering a button press once."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from html import unescape
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.handlers.context import Context
from bot.i18n import N_, Texts, texts_for
from bot.render import MESSAGE_LIMIT, cut_utf16, strip_tags

log = logging.getLogger("bot.handlers")


_MORE_STEP = 3
_INLINE_RESULTS = 10
_INLINE_MAX_CHARS = 256  # Telegram's own limit: a longer inline query is not from Telegram
_MAX_MORE_SHOWN = 30  # "More" stops here, whatever offset a button claims
CLOSEST_BUTTON = N_("Closest passage")
CLOSEST_INTRO = N_(
    "<i>Not a sure answer — this is the passage that came closest. Check that it says what "
    "you asked.</i>"
)
QUEUE_FULL = N_(
    "You have sent more questions than I can keep up with — I will answer the ones I have; "
    "send the rest in a minute."
)
APOLOGY = N_("Sorry — something went wrong while answering. Please try again in a moment.")
PRIVATE = N_("Sorry, this bot is private.")
SLOW_DOWN = N_(
    "You are sending messages faster than I can read them — please wait a few seconds, "
    "then ask again."
)
ONLY_TEXT = N_(
    "I can only answer questions written as text. Ask me something about the documents "
    "— /help shows how."
)
TOO_MANY_PRESSES = N_("Too many presses — please wait a few seconds.")
NO_LINKS = N_(
    "I do not open links. Ask your question in words and I will look for the answer in the "
    "documents."
)


def texts(update: Update) -> Texts:
    """The bot's words in the language of the user's Telegram app (English by default)."""
    user = update.effective_user
    return texts_for(user.language_code if user is not None else None)


# -- access --------------------------------------------------------------------------------------


def _allowed(update: Update, context: Context) -> bool:
    allowed = context.settings.allowed_chat_ids
    if not allowed:
        return True
    chat = update.effective_chat
    user = update.effective_user
    return (chat is not None and chat.id in allowed) or (
        chat is None and user is not None and user.id in allowed
    )


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.settings.admin_ids


def _is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _admit(update: Update, context: Context, *, question: bool = False) -> bool:
    """Should the bot handle this message? Flood control, then the allow-list. At most one
    reply: "slow down" once per burst, "this bot is private" in private chats; in groups a
    refused message gets no reply at all. A question is not flood-limited here: it waits its
    turn in the user's queue (``ask_in_turn``), which has its own bound."""
    message = update.effective_message
    allowed = _allowed(update, context)
    limited, warn = (False, False) if question else await _flooding(update, context)
    if limited:
        if warn and message is not None and (allowed or _is_private(update)):
            await message.reply_text(texts(update)(SLOW_DOWN))
        return False
    if not allowed:
        if message is not None and _is_private(update):
            await message.reply_text(texts(update)(PRIVATE))
        return False
    return True


def admitted(
    handler: Callable[[Update, Context, Message], Awaitable[None]],
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """The shared opening of a handler: an update with a message, admitted (``_admit``:
    flood control, then the allow-list); the handler gets the message."""

    @functools.wraps(handler)
    async def checked(update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or not await _admit(update, context):
            return
        await handler(update, context, message)

    return checked


async def admitted_press(update: Update, context: Context) -> CallbackQuery | None:
    """The shared opening of a button handler: the press, if it is admitted (the allow-list,
    then flood control); a refused press is answered here, and None returned."""
    query = update.callback_query
    if query is None:
        return None
    if not _allowed(update, context):
        await _answer_press(context, query, texts(update)(PRIVATE))
        return None
    limited, _warn = await _flooding(update, context)
    if limited:
        await _answer_press(context, query, texts(update)(TOO_MANY_PRESSES))
        return None
    return query


async def _flooding(update: Update, context: Context) -> tuple[bool, bool]:
    """(limited, warn): too many messages from one user in the window (counted in the state
    store, so across restarts and bot processes). Operators are not limited (they may send a
    batch of documents)."""
    user = update.effective_user
    if user is None or _is_admin(update, context):
        return False, False
    settings = context.settings
    service = context.service
    return await service.off_loop(
        service.state.flooding, user.id, settings.flood_messages, settings.flood_seconds
    )


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def no_preview(html: str) -> LinkPreviewOptions | None:
    """Link previews off where the message has a link (a source under a quote); no option
    at all where it has none: an option a reply does not need is one more field a Bot API
    server may mishandle (one echoes it back in a form python-telegram-bot cannot read)."""
    return _NO_PREVIEW if "<a " in html or "http" in html else None


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _thread(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


async def reply_html(
    message: Message, parts: list[str], markup: InlineKeyboardMarkup | None = None
) -> int | None:
    """Reply with HTML parts (the keyboard goes under the last one); the id of the message
    with the keyboard (None if the server did not say). If Telegram rejects the markup, the
    same text is sent without formatting rather than not at all."""
    last_id: int | None = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        try:
            sent = await _send_retrying_once(
                message,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                link_preview_options=no_preview(part),
                do_quote=i == 0,
            )
        except BadRequest as exc:
            if "parse" not in str(exc).lower() and "entit" not in str(exc).lower():
                raise
            log.warning("Telegram refused the HTML (%s); sending plain text", exc)
            plain = strip_tags(part)
            sent = await message.reply_text(
                cut_utf16(unescape(plain), MESSAGE_LIMIT),
                reply_markup=markup if last else None,
                do_quote=i == 0,
            )
        last_id = sent.message_id if isinstance(sent, Message) else None
    return last_id


# How httpx (through PTB's NetworkError) reports a connection that broke before any answer.
_DROPPED_CONNECTION = ("ReadError", "RemoteProtocolError", "ConnectionResetError")


async def _send_retrying_once(message: Message, text: str, **kwargs: Any) -> Message:
    """``reply_text``, sent again once after a second when the connection broke before any
    answer came (a dropped keep-alive connection: the request most likely never arrived).
    A timeout is not retried — the first send may have been delivered — and neither is an
    answer from the server (5xx, 4xx): those reach the error handler."""
    try:
        return await message.reply_text(text, **kwargs)
    except NetworkError as exc:
        dropped = any(kind in str(exc) for kind in _DROPPED_CONNECTION)
        if isinstance(exc, TimedOut | BadRequest) or not dropped:
            raise
        log.warning("sending failed (%s); trying once more", exc)
        await asyncio.sleep(1.0)
        return await message.reply_text(text, **kwargs)


def _passage_id(doc_id: str, start: int, end: int) -> str:
    return f"{doc_id}:{start}-{end}"


async def _answer_press(
    context: Context, query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press (once: the error handler then replies in the chat instead)."""
    context.bot_data.note_answered(query.id)
    await query.answer(text, show_alert=show_alert)
