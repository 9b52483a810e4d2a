"""Telegram handlers: thin, async, one concern each. The work happens in ``AnswerService``."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import unicodedata
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot.config import BotSettings
from bot.render import (
    MESSAGE_LIMIT,
    NOT_FOUND,
    answer_html,
    cut_utf16,
    pack,
    passage_html,
    utf16_len,
)
from bot.service import AnswerService, Feedback, QuestionRecord, now_iso
from bot.state import Asked
from index.answering import Answer, clean_question
from index.documents import SUPPORTED_SUFFIXES
from index.errors import DocumentError, QuestionError

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
SERVICE = "service"
SETTINGS = "bot_settings"
EXAMPLES = "examples"
_TURNS = "turns"
_MORE_STEP = 3
_INLINE_RESULTS = 10
_INLINE_MAX_CHARS = 256  # Telegram's own limit: a longer inline query is not from Telegram
_MAX_MORE_SHOWN = 30  # "More" stops here, whatever offset a button claims
CLOSEST_BUTTON = "Closest passage"
CLOSEST_INTRO = (
    "<i>Not a sure answer — this is the passage that came closest. Check that it says what "
    "you asked.</i>"
)
QUEUE_FULL = (
    "You have sent more questions than I can keep up with — I will answer the ones I have; "
    "send the rest in a minute."
)
APOLOGY = "Sorry — something went wrong while answering. Please try again in a moment."
PRIVATE = "Sorry, this bot is private."
SLOW_DOWN = (
    "You are sending messages faster than I can read them — please wait a few seconds, "
    "then ask again."
)
ONLY_TEXT = (
    "I can only answer questions written as text. Ask me something about the documents "
    "— /help shows how."
)
NO_LINKS = (
    "I do not open links. Ask your question in words and I will look for the answer in the "
    "documents."
)


def _service(context: Context) -> AnswerService:
    service: AnswerService = context.bot_data[SERVICE]
    return service


def _settings(context: Context) -> BotSettings:
    settings: BotSettings = context.bot_data[SETTINGS]
    return settings


def chat_hash(chat_id: int) -> str:
    return hashlib.sha256(str(chat_id).encode()).hexdigest()[:12]


# -- access --------------------------------------------------------------------------------------


def _allowed(update: Update, context: Context) -> bool:
    allowed = _settings(context).allowed_chat_ids
    if not allowed:
        return True
    chat = update.effective_chat
    user = update.effective_user
    return (chat is not None and chat.id in allowed) or (
        chat is None and user is not None and user.id in allowed
    )


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in _settings(context).admin_ids


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
            await message.reply_text(SLOW_DOWN)
        return False
    if not allowed:
        if message is not None and _is_private(update):
            await message.reply_text(PRIVATE)
        return False
    return True


async def _flooding(update: Update, context: Context) -> tuple[bool, bool]:
    """(limited, warn): too many messages from one user in the window (counted in the state
    store, so across restarts and bot processes). Operators are not limited (they may send a
    batch of documents)."""
    user = update.effective_user
    if user is None or _is_admin(update, context):
        return False, False
    settings = _settings(context)
    service = _service(context)
    return await service.off_loop(
        service.state.flooding, user.id, settings.flood_messages, settings.flood_seconds
    )


# -- commands ------------------------------------------------------------------------------------


async def on_start(update: Update, context: Context) -> None:
    if update.effective_message is None or not await _admit(update, context):
        return
    service = _service(context)
    docs = service.documents()
    titles = "\n".join(f"• {escape(str(d['title']))}" for d in docs[:10])
    if len(docs) > 10:
        titles += f"\n• … and {len(docs) - 10} more (/sources)"
    examples = context.bot_data.get(EXAMPLES) or []
    tries = "\n".join(f"• <code>{escape(q)}</code>" for q in examples)
    text = (
        "Hello! I answer questions about a set of documents by <b>quoting them word for "
        "word</b>, with the source. I never make anything up: if the documents do not say, "
        f"I tell you.\n\nI know {len(docs)} document(s):\n{titles}"
    )
    if tries:
        text += f"\n\nTry asking:\n{tries}"
    text += "\n\nFollow-up questions work too. /help for more."
    for part in pack([text]):
        await update.effective_message.reply_text(part, parse_mode=ParseMode.HTML)


HELP = (
    "<b>How to use me</b>\n"
    "Send a question in words; I reply with the passage that answers it, the key sentence in "
    "bold, and its source. Buttons: <b>More</b> shows further passages, 👍/👎 tell the "
    "operators whether the quote helped.\n\n"
    "Follow-ups: after “When was Koryolink established?” you can ask “And Kang Song NET?”.\n\n"
    "In groups, mention me (@{name} your question), reply to one of my messages, or use "
    "/ask your question.\n"
    "Inline: type @{name} and a question in any chat to pick a quote to send.\n\n"
    "/sources — the documents I know\n/reset — forget this conversation\n/help — this message"
)


async def on_help(update: Update, context: Context) -> None:
    if update.effective_message is None or not await _admit(update, context):
        return
    text = HELP.format(name=escape(context.bot.username or "bot"))
    if _is_admin(update, context):
        text += (
            "\n\n<b>Operators</b>: send me a .txt, .md, .html or .pdf file to add it; "
            "/reindex rebuilds the index from the corpus folder."
        )
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


async def on_sources(update: Update, context: Context) -> None:
    if update.effective_message is None or not await _admit(update, context):
        return
    lines = []
    for d in _service(context).documents():
        title = escape(str(d["title"]))
        if d.get("url"):
            title = f'<a href="{escape(str(d["url"]), quote=True)}">{title}</a>'
        lines.append(f"• {title} — {d['chunks']} chunks, indexed {escape(str(d['indexed']))}")
    blocks = [f"<b>{len(lines)} document(s)</b>", *lines]
    for part in pack(["\n".join(blocks)] if utf16_len("\n".join(blocks)) < 4000 else blocks):
        await update.effective_message.reply_text(
            part, parse_mode=ParseMode.HTML, link_preview_options=no_preview(part)
        )


async def on_reset(update: Update, context: Context) -> None:
    if update.effective_message is None or not await _admit(update, context):
        return
    if update.effective_chat is not None:
        service = _service(context)
        await service.off_loop(service.state.forget, update.effective_chat.id)
    await update.effective_message.reply_text("Done — I have forgotten our conversation.")


async def on_ask_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not await _admit(update, context, question=True):
        return
    question = " ".join(context.args or [])
    if not question.strip():
        await message.reply_text("Usage: /ask your question — for example /ask Who wrote it?")
        return
    await ask_in_turn(update, context, question)


# -- questions -----------------------------------------------------------------------------------


def _addressed_question(message: Message, bot_username: str, bot_id: int) -> str | None:
    """In groups: the question when the bot is mentioned or replied to, else None."""
    text = message.text or ""
    mention = f"@{bot_username}".casefold()
    for value in message.parse_entities([MessageEntity.MENTION]).values():
        if value.casefold() == mention:
            return re.sub(re.escape(value), " ", text, count=1, flags=re.IGNORECASE).strip()
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        return text
    return None


async def on_text(update: Update, context: Context) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or message.text is None:
        return
    question = message.text
    if chat.type != ChatType.PRIVATE:
        addressed = _addressed_question(message, context.bot.username, context.bot.id)
        if addressed is None:
            return  # not addressed to the bot
        question = addressed
    if not await _admit(update, context, question=True):
        return
    if chat.type != ChatType.PRIVATE and not question.strip():
        await message.reply_text("Yes? Ask me a question about the documents.")
        return
    await ask_in_turn(update, context, question)


@dataclass
class _Turns:
    """One user's questions: the last one's task (the next waits for it), how many wait or
    run, and whether the one "too many" reply of this burst was sent."""

    last: asyncio.Task[None] | None = None
    waiting: int = 0
    warned: bool = False


def questions_waiting(application: Any) -> int:
    """Questions queued or being answered, over all users (for tests and shutdown logs)."""
    return sum(
        turns.waiting
        for data in application.user_data.values()
        if isinstance(turns := data.get(_TURNS), _Turns)
    )


async def ask_in_turn(update: Update, context: Context, question: str) -> None:
    """Answer ``question`` after the user's earlier ones, in order, one at a time: a person
    typing quickly is answered, not ignored. The handler returns at once (the question waits
    in a task, not in one of python-telegram-bot's update slots); its errors reach the error
    handler with its update. Beyond ``VERBATIM_QUEUE_PER_USER`` waiting questions (a flood
    no person types), one reply says when to go on and the excess is dropped."""
    message = update.effective_message
    if message is None:
        return
    data: dict[str, Any] = context.user_data if context.user_data is not None else {}
    turns = data.setdefault(_TURNS, _Turns())
    if turns.waiting >= _settings(context).queue_per_user:
        if not turns.warned:
            turns.warned = True
            await message.reply_text(QUEUE_FULL)
        return
    turns.waiting += 1
    before = turns.last

    async def in_turn() -> None:
        try:
            if before is not None:
                await asyncio.gather(before, return_exceptions=True)
            await answer_question(update, context, question)
        finally:
            turns.waiting -= 1
            if turns.waiting == 0:
                turns.warned = False

    turns.last = context.application.create_task(in_turn(), update=update)


_LINK = re.compile(r"(?:https?|tg|ftp)://\S+|www\.\S+", re.IGNORECASE)


def _only_links(text: str) -> bool:
    """Is the question nothing but links? (Word by word: no regex backtracking over it.)"""
    words = text.split()
    return bool(words) and all(_LINK.fullmatch(word) for word in words)


async def answer_question(update: Update, context: Context, question: str) -> None:
    """Answer ``question`` (already admitted: see ``_admit``) with one reply."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    service = _service(context)
    history = await service.off_loop(service.state.history, chat.id)
    try:
        cleaned = clean_question(question, service.settings.max_question_chars)
    except QuestionError as exc:
        await message.reply_text(_sentence(str(exc)))
        return
    if _only_links(cleaned):
        await message.reply_text(NO_LINKS)
        return
    started = time.perf_counter()
    asking = asyncio.ensure_future(service.ask(question, history, k=1))
    # "typing…" only when the answer takes a while: a quick answer arrives before it would
    # show, and every call counts against Telegram's ~30 messages/s for the whole bot.
    done, _ = await asyncio.wait({asking}, timeout=_settings(context).typing_after_seconds)
    if not done:
        try:
            await context.bot.send_chat_action(
                chat.id, ChatAction.TYPING, message_thread_id=_thread(message)
            )
        except TelegramError as exc:  # cosmetic: never let it block the answer
            log.info("typing action failed: %s", exc)
    answer = await asking
    latency_ms = (time.perf_counter() - started) * 1000
    await service.off_loop(service.state.add_question, chat.id, question)
    qid = await _remember(service, chat.id, question, history, answer)
    passages = tuple(_passage_id(p.doc_id, p.start, p.end) for p in answer.passages)
    log.info(
        "question chat=%s answered=%s latency_ms=%.0f confidence=%.3f passage=%s",
        chat_hash(chat.id),
        answer.answered,
        latency_ms,
        answer.confidence,
        passages[0] if passages else "-",
    )
    record = QuestionRecord(
        now_iso(),
        chat_hash(chat.id),
        answer.question,
        answer.answered,
        round(answer.confidence, 4),
        round(latency_ms, 1),
        passages,
    )
    await service.note_question(record)
    markup = _keyboard(qid, 1) if answer.answered else None
    if not answer.answered and answer.confidence >= _settings(context).closest_passage_confidence:
        # Not sure enough to answer, but not a dead end: the nearest passage, on request.
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(CLOSEST_BUTTON, callback_data=f"more:{qid}:0")]]
        )
    sent = await reply_html(message, answer_html(answer), markup)
    if sent is not None:
        await service.off_loop(service.state.add_message, qid, sent)


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
            plain = re.sub(r"<[^>]+>", "", part)
            from html import unescape

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


# -- buttons -------------------------------------------------------------------------------------


def _keyboard(qid: str, shown: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("More", callback_data=f"more:{qid}:{shown}"),
                InlineKeyboardButton("👍", callback_data=f"vote:{qid}:up"),
                InlineKeyboardButton("👎", callback_data=f"vote:{qid}:down"),
            ]
        ]
    )


async def _remember(
    service: AnswerService, chat_id: int, question: str, history: list[str], answer: Answer
) -> str:
    """Keep what the answer's buttons need (``bot.state``, shared by every bot process and
    kept across restarts); its id, for the buttons' data."""
    qid = hashlib.sha256(f"{chat_id}\0{question}\0{uuid.uuid4()}".encode()).hexdigest()[:12]
    asked = Asked(
        question,
        history,
        chat_id,
        [_passage_id(p.doc_id, p.start, p.end) for p in answer.passages],
        shown=len(answer.passages) if answer.answered else 0,
    )
    await service.off_loop(service.state.remember, qid, asked)
    return qid


def _passage_id(doc_id: str, start: int, end: int) -> str:
    return f"{doc_id}:{start}-{end}"


_ANSWERED = "answered_presses"
_MAX_ANSWERED = 5000


async def _answer_press(
    context: Context, query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press (once: the error handler then replies in the chat instead)."""
    answered: OrderedDict[str, None] = context.bot_data.setdefault(_ANSWERED, OrderedDict())
    answered[query.id] = None
    while len(answered) > _MAX_ANSWERED:
        answered.popitem(last=False)
    await query.answer(text, show_alert=show_alert)


_CALLBACK = re.compile(r"^(more|vote|upload):([0-9a-f]{12}):(\d{1,3}|up|down|replace|both|cancel)$")


async def on_callback(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    if not _allowed(update, context):
        await _answer_press(context, query, PRIVATE)
        return
    limited, _warn = await _flooding(update, context)
    if limited:
        await _answer_press(context, query, "Too many presses — please wait a few seconds.")
        return
    match = _CALLBACK.match(query.data or "")
    if match is None:
        await _answer_press(context, query, "This button is not recognised.")
        return
    kind, qid, arg = match.groups()
    if kind == "upload":
        await _on_upload_choice(update, context, query, qid, arg)
        return
    message = query.message
    service = _service(context)
    record = await _recall(context, qid, message, arg)
    if record is None or not isinstance(message, Message) or not _bound(record, message):
        await _answer_press(
            context,
            query,
            "This button has expired — please ask your question again.",
            show_alert=True,
        )
        return
    if kind == "vote" and arg in ("up", "down"):
        voter = query.from_user.id
        # one vote per user and answer: a change replaces it
        before = await service.off_loop(service.state.vote, qid, voter, arg)
        if before == arg:
            await _answer_press(context, query, "You have voted on this answer already.")
            return
        passages = record.passages
        if not passages:
            answer = await service.ask(record.question, record.history, k=1, force=True)
            passages = [_passage_id(p.doc_id, p.start, p.end) for p in answer.passages]
        await service.note_feedback(
            Feedback(
                record.question,
                passages,
                arg,
                chat_hash(message.chat.id),
                now_iso(),
                answer=qid,
                user=chat_hash(voter),
            )
        )
        await _answer_press(
            context, query, "Vote changed — thanks!" if before else "Thanks for the feedback!"
        )
        return
    if kind == "more" and arg.isdigit():
        # More goes on from what the chat has been shown (pressing one twice, or an older
        # one, never repeats passages); "Closest passage" (0) shows the first, once.
        if arg == "0" and record.shown > 0:
            await _answer_press(
                context, query, "Shown already — More under it gives further passages."
            )
            return
        step = 1 if record.shown == 0 else _MORE_STEP
        if record.shown >= _MAX_MORE_SHOWN:
            await _answer_press(context, query, "No more passages for this question.")
            return
        # Taken now, atomically: a second press meanwhile (in any process) gets the next ones.
        start = await service.off_loop(service.state.take_passages, qid, step)
        try:
            await _send_more(context, query, message, record, qid, start, step)
        except BaseException:
            # Not delivered: the passages go back, for the next press (unless one came since).
            await service.off_loop(service.state.give_back, qid, start, step)
            raise
        return
    await _answer_press(context, query, "This button is not recognised.")


async def _send_more(
    context: Context,
    query: CallbackQuery,
    message: Message,
    record: Asked,
    qid: str,
    start: int,
    step: int,
) -> None:
    """Passages ``start`` to ``start + step`` of the answer, under a More (or the closest
    passage under a declined question, when ``start`` is 0)."""
    service = _service(context)
    # The user asked for more: the next passages by relevance, even below the bar a first
    # answer must clear (they are numbered, after the confident one).
    answer = await service.ask(record.question, record.history, k=start + step, force=True)
    new = answer.passages[start : start + step]
    if not new:
        await service.off_loop(service.state.give_back, qid, start, step)
        await _answer_press(context, query, "No more passages for this question.")
        return
    await _answer_press(context, query)
    extra = Answer(answer.question, True, new, answer.resolved_question, answer.confidence)
    parts = answer_html(extra, first_number=None if start == 0 else start + 1)
    if start == 0:
        parts[0] = f"{CLOSEST_INTRO}\n\n{parts[0]}"
    sent = await reply_html(message, parts, _keyboard(qid, start + len(new)))
    if sent is not None:
        await service.off_loop(service.state.add_message, qid, sent)


def _bound(record: Asked, message: Message) -> bool:
    """Is the button under one of the answer's own messages, in its chat?"""
    if message.chat.id != record.chat:
        return False
    return not record.messages or message.message_id in record.messages


async def _recall(context: Context, qid: str, message: object, arg: str) -> Asked | None:
    service = _service(context)
    asked = await service.off_loop(service.state.recall, qid)
    if asked is not None:
        return asked
    # An answer from before the store (or pruned from it): the answer replied to the
    # question, which is still there.
    if isinstance(message, Message) and message.reply_to_message is not None:
        text = message.reply_to_message.text or ""
        if context.bot.username:
            text = re.sub(re.escape("@" + context.bot.username), " ", text, flags=re.IGNORECASE)
        text = re.sub(r"^/ask(@\w+)?\s+", "", text.strip())
        if text.strip():
            shown = int(arg) if arg.isdigit() else 1  # the button says how far it had got
            asked = Asked(text.strip(), [], message.chat.id, [], {message.message_id}, shown)
            await service.off_loop(service.state.remember, qid, asked)
            return asked
    return None


# -- inline mode ---------------------------------------------------------------------------------


def _personal(context: Context) -> bool:
    """Inline results are cached by Telegram for everyone who types the same query, unless
    personal: with an allow-list they must be, or a stranger would get an allowed user's."""
    return bool(_settings(context).allowed_chat_ids)


async def on_inline(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    text = query.query
    if not _allowed(update, context) or not text.strip() or len(text) > _INLINE_MAX_CHARS:
        await query.answer([], cache_time=10, is_personal=_personal(context))
        return
    service = _service(context)
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


# -- operators -----------------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def sanitise_filename(name: str) -> str:
    """A safe file name inside the corpus folder: no folders, no control characters, no
    leading dots; the extension kept (lower-cased)."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE_NAME.sub("_", stem).strip("._-")[:80] or "document"
    suffix = _UNSAFE_NAME.sub("", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


async def on_document(update: Update, context: Context) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or message.document is None:
        return
    if chat.type != ChatType.PRIVATE:
        caption_mentions = context.bot.username and (
            f"@{context.bot.username}".casefold() in (message.caption or "").casefold()
        )
        reply = message.reply_to_message
        if not caption_mentions and not (
            reply and reply.from_user and reply.from_user.id == context.bot.id
        ):
            return
    if not await _admit(update, context):
        return
    if not _is_admin(update, context):
        await message.reply_text(
            "Thanks, but only the bot's operators can add documents. Nothing was stored."
        )
        return
    settings = _settings(context)
    service = _service(context)
    doc = message.document
    name = sanitise_filename(doc.file_name or "document")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        await message.reply_text(
            f"I cannot read {suffix or 'files without an extension'}: send a "
            ".txt, .md, .html or .pdf file. Nothing was stored."
        )
        return
    limit = settings.max_upload_bytes
    if doc.file_size is not None and doc.file_size > limit:
        await message.reply_text(_too_large(doc.file_size, limit))
        return
    if doc.file_size == 0:
        await message.reply_text("That file is empty. Nothing was stored.")
        return
    telegram_file = await context.bot.get_file(doc.file_id)
    data = bytes(await telegram_file.download_as_bytearray())
    if len(data) > limit:  # the declared size was wrong
        await message.reply_text(_too_large(len(data), limit))
        return
    try:
        found = await service.check_upload(name, data)
    except DocumentError as exc:
        await message.reply_text(f"I cannot use that file: {exc}. Nothing was stored.")
        return
    if found.duplicate is not None:
        await message.reply_text(f"That document is already in the corpus as {found.duplicate}.")
        return
    if found.exists:
        # Never replace a document silently: ask, keeping the upload until the answer.
        token = _pending_upload(context, _Upload(name, data, chat.id, message.message_id))
        await message.reply_text(
            f"A different document named {name} is already in the corpus. Replace it (the "
            "old version is kept aside), keep both, or cancel?",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("Replace", callback_data=f"upload:{token}:replace"),
                        InlineKeyboardButton("Keep both", callback_data=f"upload:{token}:both"),
                        InlineKeyboardButton("Cancel", callback_data=f"upload:{token}:cancel"),
                    ]
                ]
            ),
        )
        return
    await _store_and_index(update, context, message, name, data, replace=False)


async def _store_and_index(
    update: Update,
    context: Context,
    message: Message,
    name: str,
    data: bytes,
    *,
    replace: bool,
) -> None:
    service = _service(context)
    written, kept = await service.store_upload(name, data, replace=replace)
    log.info("document saved: %s (%d bytes)", written, len(data))
    verb = "Replaced" if kept else "Saved"
    aside = f" (the old version is kept as {kept})" if kept else ""
    status = await message.reply_text(f"{verb} {written}{aside}. Updating the index…")
    context.application.create_task(_rebuild_and_report(status, service), update=update)


@dataclass(frozen=True)
class _Upload:
    """An upload waiting for the operator's answer: replace, keep both or cancel."""

    name: str
    data: bytes
    chat: int
    message_id: int


_UPLOADS = "pending_uploads"
_MAX_PENDING_UPLOADS = 8  # each holds the file (at most VERBATIM_MAX_UPLOAD_BYTES) in memory


def _pending_upload(context: Context, upload: _Upload) -> str:
    pending: OrderedDict[str, _Upload] = context.bot_data.setdefault(_UPLOADS, OrderedDict())
    token = uuid.uuid4().hex[:12]
    pending[token] = upload
    while len(pending) > _MAX_PENDING_UPLOADS:
        pending.popitem(last=False)
    return token


async def _on_upload_choice(
    update: Update, context: Context, query: CallbackQuery, token: str, choice: str
) -> None:
    if choice not in ("replace", "both", "cancel"):
        await _answer_press(context, query, "This button is not recognised.")
        return
    if not _is_admin(update, context):
        await _answer_press(context, query, "Only the bot's operators can choose this.")
        return
    pending: OrderedDict[str, _Upload] = context.bot_data.setdefault(_UPLOADS, OrderedDict())
    upload = pending.get(token)
    message = query.message
    if upload is None or not isinstance(message, Message) or message.chat.id != upload.chat:
        # Answered already, or the bot restarted since (the file is kept in memory only).
        await _answer_press(
            context,
            query,
            "This question has expired (answered already, or the bot restarted): if the "
            "file was not stored, please send it again.",
            show_alert=True,
        )
        return
    del pending[token]  # one answer per upload: a second press finds it gone
    await _answer_press(context, query)
    with contextlib.suppress(TelegramError):  # the question's buttons go: it is answered
        await message.edit_reply_markup(None)
    if choice == "cancel":
        await message.reply_text(f"Cancelled: {upload.name} was not stored.")
        return
    if choice == "both":
        await _store_and_index(update, context, message, upload.name, upload.data, replace=False)
        return
    await _store_and_index(update, context, message, upload.name, upload.data, replace=True)


def _too_large(size: int, limit: int) -> str:
    return (
        f"That file is too large ({human_size(size)}; the limit is {human_size(limit)}). "
        "Nothing was stored."
    )


def human_size(size: float) -> str:
    """1536 -> "1.5 KB"; 10485760 -> "10 MB"."""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            text = f"{size:.1f}".removesuffix(".0") if unit != "bytes" else f"{int(size)}"
            return f"{text} {unit}"
        size /= 1024
    raise AssertionError  # pragma: no cover


async def on_reindex(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not await _admit(update, context):
        return
    if not _is_admin(update, context):
        await message.reply_text("Sorry, only the bot's operators can rebuild the index.")
        return
    service = _service(context)
    if service.rebuilding:
        await message.reply_text("A rebuild is already running; I will switch to it when done.")
        return
    status = await message.reply_text("Rebuilding the index from the corpus…")
    context.application.create_task(_rebuild_and_report(status, service), update=update)


async def _rebuild_and_report(status: Message, service: AnswerService) -> None:
    """Rebuild, then edit the status message with the outcome: one reply per upload or
    /reindex, which says first "Updating…" and then what happened."""
    try:
        summary = await service.rebuild()
    except Exception as exc:
        log.exception("rebuild failed")
        text = f"{status.text or ''}\nThe index could not be rebuilt: {exc}"
    else:
        text = f"{status.text or ''}\nIndex updated — {summary.line()}"
        if summary.failed:
            text += "\nProblems:\n" + "\n".join(f"• {f}" for f in summary.failed[:10])
    try:
        await status.edit_text(cut_utf16(text, MESSAGE_LIMIT))
    except TelegramError as exc:  # e.g. the message was deleted meanwhile: say it anew
        log.info("could not edit the status message (%s); sending a new one", exc)
        await status.reply_text(cut_utf16(text, MESSAGE_LIMIT))


# -- everything else -----------------------------------------------------------------------------


async def on_other(update: Update, context: Context) -> None:
    """Stickers, photos, voice, locations...: a hint in private chats, silence in groups."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    if message.text is not None:  # an empty text (no filter calls it text): "empty"
        await on_text(update, context)
        return
    if not await _admit(update, context):
        return
    await message.reply_text(ONLY_TEXT)


async def on_unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have: a pointer to /help in private chats, or in groups when
    it names this bot (``/foo@thisbot``); commands meant for other bots are not ours."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not message.text:
        return
    commands = message.parse_entities([MessageEntity.BOT_COMMAND])
    command = next(iter(commands.values()), "") or message.text.split(maxsplit=1)[0]
    _name, at, target = command.partition("@")
    ours = (context.bot.username or "").casefold()
    if at and target.casefold() != ours:
        return
    if chat.type != ChatType.PRIVATE and not at:
        return
    if not await _admit(update, context):
        return
    await message.reply_text(
        f"I do not know the command {command[:40]}. /help lists what I can do; to ask "
        "something, just write your question."
    )


async def on_error(update: object, context: Context) -> None:
    """The one error handler: log with traceback, apologise, keep running."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        query = update.callback_query
        if query is not None and query.id not in context.bot_data.get(_ANSWERED, {}):
            await query.answer(APOLOGY)
        elif query is not None:  # answered already: a press is answered once, say it here
            if isinstance(query.message, Message):
                await query.message.reply_text(APOLOGY)
        elif update.effective_message is not None and update.inline_query is None:
            await update.effective_message.reply_text(APOLOGY)
    except Exception as exc:  # the Bot API itself may be what failed
        log.warning("could not send the apology: %s", exc)


__all__ = [
    "NOT_FOUND",
    "answer_question",
    "on_ask_command",
    "on_callback",
    "on_document",
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
    "sanitise_filename",
]
