"""Questions: addressed or not, waiting their turn per user, answered with one reply."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import Application

from bot.handlers.buttons import _keyboard, _remember
from bot.handlers.common import (
    CLOSEST_BUTTON,
    NO_LINKS,
    QUEUE_FULL,
    _admit,
    _is_admin,
    _passage_id,
    _sentence,
    _thread,
    reply_html,
    texts,
)
from bot.handlers.context import Context, UserData
from bot.handlers.operators import add_links, links_in
from bot.i18n import N_, Texts
from bot.journal import chat_hash
from bot.render import NOT_FOUND, answer_html
from bot.service import QuestionRecord
from index.answering import clean_question
from index.errors import QuestionError
from index.store import utc_now

log = logging.getLogger("bot.handlers")  # one name for all handlers, as in the logs

YES = N_("Yes? Ask me a question about the documents.")
QUESTION_ERRORS = {
    "empty": N_("The question is empty: please ask something about the documents."),
    "too long": N_(
        "The question is too long ({chars} characters; the limit is {limit}): please ask it "
        "in fewer words."
    ),
    "no words": N_("The question has no words in it: please ask it in words."),
}


def _question_error(error: QuestionError, t: Texts) -> str:
    """Why the question cannot be answered, in the user's language."""
    message = QUESTION_ERRORS.get(error.reason)
    if message is None:
        return _sentence(str(error))
    from babel.numbers import format_decimal

    return t(message, **{k: format_decimal(v, locale=t.language) for k, v in error.values.items()})


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
        await message.reply_text(texts(update)(YES))
        return
    await ask_in_turn(update, context, question)


def questions_waiting(application: Application[Any, Context, UserData, Any, Any, Any]) -> int:
    """Questions queued or being answered, over all users (for tests and shutdown logs)."""
    return sum(data.turns.waiting for data in application.user_data.values())


async def ask_in_turn(update: Update, context: Context, question: str) -> None:
    """Answer ``question`` after the user's earlier ones, in order, one at a time: a person
    typing quickly is answered, not ignored. The handler returns at once (the question waits
    in a task, not in one of python-telegram-bot's update slots); its errors reach the error
    handler with its update. Beyond ``VERBATIM_QUEUE_PER_USER`` waiting questions (a flood
    no person types), one reply says when to go on and the excess is dropped."""
    message = update.effective_message
    if message is None:
        return
    turns = context.turns
    if turns.waiting >= context.settings.queue_per_user:
        if not turns.warned:
            turns.warned = True
            await message.reply_text(texts(update)(QUEUE_FULL))
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
    service = context.service
    try:
        cleaned = clean_question(question, service.settings.max_question_chars)
    except QuestionError as exc:
        await message.reply_text(_question_error(exc, texts(update)))
        return
    operator = _is_admin(update, context) and chat.type == ChatType.PRIVATE
    links = links_in(question.split()) if operator else []
    if links:  # an operator's message with links in a private chat: add the pages
        await add_links(context, message, links)
        return
    if _only_links(cleaned):
        await message.reply_text(texts(update)(NO_LINKS))
        return
    history = await service.off_loop(service.state.history, chat.id)
    started = time.perf_counter()
    # The cleaned question is what is asked, remembered and put in the history (the core
    # checks its input again, as any caller's: the same cleaning, idempotent).
    question = cleaned
    asking = asyncio.ensure_future(service.ask(question, history, k=1))
    # "typing…" only when the answer takes a while: a quick answer arrives before it would
    # show, and every call counts against Telegram's ~30 messages/s for the whole bot.
    done, _ = await asyncio.wait({asking}, timeout=context.settings.typing_after_seconds)
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
    passages = tuple(_passage_id(p.doc_id, p.start, p.end) for p in answer.passages)
    qid = await _remember(service, chat.id, question, history, answer, passages)
    log.info(
        "question chat=%s answered=%s latency_ms=%.0f confidence=%.3f passage=%s",
        chat_hash(chat.id),
        answer.answered,
        latency_ms,
        answer.confidence,
        passages[0] if passages else "-",
    )
    record = QuestionRecord(
        utc_now(),
        chat_hash(chat.id),
        answer.question,
        answer.answered,
        round(answer.confidence, 4),
        round(latency_ms, 1),
        passages,
    )
    await service.note_question(record)
    t = texts(update)
    markup = _keyboard(qid, 1, t) if answer.answered else None
    if not answer.answered and answer.confidence >= context.settings.closest_passage_confidence:
        # Not sure enough to answer, but not a dead end: the nearest passage, on request.
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(t(CLOSEST_BUTTON), callback_data=f"more:{qid}:0")]]
        )
    sent = await reply_html(message, answer_html(answer, not_found=t(NOT_FOUND)), markup)
    if sent is not None:
        await service.off_loop(service.state.add_message, qid, sent)
