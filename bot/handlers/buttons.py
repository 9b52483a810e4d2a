"""The buttons under answers: More, Closest passage, 👍 / 👎 (and the upload question's, handed
to ``operators``). Their state is in the store (``bot.state``)."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Sequence

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.handlers.common import (
    _MAX_MORE_SHOWN,
    _MORE_STEP,
    CLOSEST_INTRO,
    _answer_press,
    _passage_id,
    admitted_press,
    reply_html,
    texts,
)
from bot.handlers.context import Context
from bot.handlers.operators import _on_upload_choice
from bot.i18n import N_, Texts
from bot.journal import chat_hash
from bot.render import answer_html
from bot.service import AnswerService, Feedback
from bot.state import Asked
from index.store import utc_now
from index.types import Answer

log = logging.getLogger("bot.handlers")  # one name for all handlers, as in the logs

# -- buttons -------------------------------------------------------------------------------------

MORE = N_("More")
NOT_RECOGNISED = N_("This button is not recognised.")
EXPIRED = N_("This button has expired — please ask your question again.")
VOTED_ALREADY = N_("You have voted on this answer already.")
VOTE_CHANGED = N_("Vote changed — thanks!")
THANKS = N_("Thanks for the feedback!")
SHOWN_ALREADY = N_("Shown already — More under it gives further passages.")
NO_MORE = N_("No more passages for this question.")


def _keyboard(qid: str, shown: int, t: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(MORE), callback_data=f"more:{qid}:{shown}"),
                InlineKeyboardButton("👍", callback_data=f"vote:{qid}:up"),
                InlineKeyboardButton("👎", callback_data=f"vote:{qid}:down"),
            ]
        ]
    )


async def _remember(
    service: AnswerService,
    chat_id: int,
    question: str,
    history: list[str],
    answer: Answer,
    passages: Sequence[str],
) -> str:
    """Keep what the answer's buttons need (``bot.state``, shared by every bot process and
    kept across restarts): ``passages`` are the answer's passage ids. Its id, for the
    buttons' data."""
    qid = hashlib.sha256(f"{chat_id}\0{question}\0{uuid.uuid4()}".encode()).hexdigest()[:12]
    asked = Asked(
        question,
        history,
        chat_id,
        list(passages),
        shown=len(answer.passages) if answer.answered else 0,
    )
    await service.off_loop(service.state.remember, qid, asked)
    return qid


_CALLBACK = re.compile(r"^(more|vote|upload):([0-9a-f]{12}):(\d{1,3}|up|down|replace|both|cancel)$")


async def on_callback(update: Update, context: Context) -> None:
    query = await admitted_press(update, context)
    if query is None:
        return
    t = texts(update)
    match = _CALLBACK.match(query.data or "")
    if match is None:
        await _answer_press(context, query, t(NOT_RECOGNISED))
        return
    kind, qid, arg = match.groups()
    if kind == "upload":
        await _on_upload_choice(update, context, query, qid, arg)
        return
    message = query.message
    service = context.service
    record = await _recall(context, qid, message, arg, query.data or "")
    if record is None or not isinstance(message, Message) or not _bound(record, message):
        await _answer_press(
            context,
            query,
            t(EXPIRED),
            show_alert=True,
        )
        return
    if kind == "vote" and arg in ("up", "down"):
        voter = query.from_user.id
        # one vote per user and answer: a change replaces it
        before = await service.off_loop(service.state.vote, qid, voter, arg)
        if before == arg:
            await _answer_press(context, query, t(VOTED_ALREADY))
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
                utc_now(),
                answer=qid,
                user=chat_hash(voter),
            )
        )
        await _answer_press(context, query, t(VOTE_CHANGED) if before else t(THANKS))
        return
    if kind == "more" and arg.isdigit():
        # More goes on from what the chat has been shown (pressing one twice, or an older
        # one, never repeats passages); "Closest passage" (0) shows the first, once.
        if arg == "0" and record.shown > 0:
            await _answer_press(context, query, t(SHOWN_ALREADY))
            return
        step = 1 if record.shown == 0 else _MORE_STEP
        if record.shown >= _MAX_MORE_SHOWN:
            await _answer_press(context, query, t(NO_MORE))
            return
        # Taken now, atomically: a second press meanwhile (in any process) gets the next ones.
        start = await service.off_loop(service.state.take_passages, qid, step)
        try:
            await _send_more(context, query, message, record, qid, start, step, t)
        except BaseException:
            # Not delivered: the passages go back, for the next press (unless one came since).
            await service.off_loop(service.state.give_back, qid, start, step)
            raise
        return
    await _answer_press(context, query, t(NOT_RECOGNISED))


async def _send_more(
    context: Context,
    query: CallbackQuery,
    message: Message,
    record: Asked,
    qid: str,
    start: int,
    step: int,
    t: Texts,
) -> None:
    """Passages ``start`` to ``start + step`` of the answer, under a More (or the closest
    passage under a declined question, when ``start`` is 0)."""
    service = context.service
    # The user asked for more: the next passages by relevance, even below the bar a first
    # answer must clear (they are numbered, after the confident one).
    answer = await service.ask(record.question, record.history, k=start + step, force=True)
    new = answer.passages[start : start + step]
    if not new:
        await service.off_loop(service.state.give_back, qid, start, step)
        await _answer_press(context, query, t(NO_MORE))
        return
    await _answer_press(context, query)
    extra = Answer(answer.question, True, new, answer.resolved_question, answer.confidence)
    parts = answer_html(extra, first_number=None if start == 0 else start + 1)
    if start == 0:
        parts[0] = f"{t(CLOSEST_INTRO)}\n\n{parts[0]}"
    sent = await reply_html(message, parts, _keyboard(qid, start + len(new), t))
    if sent is not None:
        await service.off_loop(service.state.add_message, qid, sent)


def _bound(record: Asked, message: Message) -> bool:
    """Is the button under one of the answer's own messages, in its chat?"""
    if message.chat.id != record.chat:
        return False
    return not record.messages or message.message_id in record.messages


async def _recall(context: Context, qid: str, message: object, arg: str, data: str) -> Asked | None:
    service = context.service
    asked = await service.off_loop(service.state.recall, qid)
    if asked is not None:
        return asked
    # An answer from before the store (or pruned from it): the answer replied to the
    # question, which is still there. Not when it replied to one of the bot's own messages
    # (the closest passage replies to the decline: its text is no question), nor for a button
    # the message does not carry.
    if (
        isinstance(message, Message)
        and message.reply_to_message is not None
        and not _from_this_bot(message.reply_to_message, context)
        and _carries(message, data)
    ):
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


def _from_this_bot(message: Message, context: Context) -> bool:
    """(An anonymous group admin's question comes from a bot account too: it is a question.)"""
    return message.from_user is not None and message.from_user.id == context.bot.id


def _carries(message: Message, data: str) -> bool:
    """Is a button with ``data`` under ``message``?"""
    markup = message.reply_markup
    return markup is not None and any(
        button.callback_data == data for row in markup.inline_keyboard for button in row
    )
