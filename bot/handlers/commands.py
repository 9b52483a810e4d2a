"""The commands (/start, /help, /sources, /reset, /ask), anything else a user sends, and
unknown commands."""

from __future__ import annotations

import logging
from html import escape

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType, ParseMode

from bot.handlers.common import (
    ONLY_TEXT,
    _admit,
    _is_admin,
    admitted,
    no_preview,
    texts,
)
from bot.handlers.context import Context
from bot.handlers.questions import ask_in_turn, on_text
from bot.i18n import N_
from bot.render import MESSAGE_LIMIT, pack, utf16_len
from index.documents import SUPPORTED_NAMES

log = logging.getLogger("bot.handlers")  # one name for all handlers, as in the logs

# -- commands ------------------------------------------------------------------------------------


UNKNOWN_COMMAND = N_(
    "I do not know the command {command}. /help lists what I can do; to ask something, just "
    "write your question."
)
GREETING = N_(
    "Hello! I answer questions about a set of documents by <b>quoting them word for word</b>, "
    "with the source. I never make anything up: if the documents do not say, I tell you."
)
I_KNOW = N_("I know {count} document(s):")
AND_MORE = N_("… and {count} more (/sources)")
TRY_ASKING = N_("Try asking:")
FOLLOW_UPS = N_(
    "Follow-up questions work too, and questions in other languages: the quotes stay in the "
    "documents' language. /help for more."
)
FORGOTTEN = N_("Done — I have forgotten our conversation.")
ASK_USAGE = N_("Usage: /ask your question — for example /ask Who wrote it?")
DOCUMENT_COUNT = N_("{count} document(s)")
DOCUMENT_LINE = N_("{chunks} chunks, indexed {date}")


@admitted
async def on_start(update: Update, context: Context, message: Message) -> None:
    t = texts(update)
    service = context.service
    docs = service.documents()
    titles = "\n".join(f"• {escape(d.title)}" for d in docs[:10])
    if len(docs) > 10:
        titles += "\n• " + t(AND_MORE, count=len(docs) - 10)
    examples = context.bot_data.examples
    tries = "\n".join(f"• <code>{escape(q)}</code>" for q in examples)
    text = f"{t(GREETING)}\n\n{t(I_KNOW, count=len(docs))}\n{titles}"
    if tries:
        text += f"\n\n{t(TRY_ASKING)}\n{tries}"
    text += f"\n\n{t(FOLLOW_UPS)}"
    for part in pack([text]):
        await message.reply_text(part, parse_mode=ParseMode.HTML)


HELP = N_(
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


@admitted
async def on_help(update: Update, context: Context, message: Message) -> None:
    text = texts(update)(HELP, name=escape(context.bot.username or "bot"))
    if _is_admin(update, context):
        text += (
            f"\n\n<b>Operators</b>: send me a {SUPPORTED_NAMES} file to add it, or a link "
            "(or /add and a link) to add that page; /documents lists the documents, with a "
            "button to remove each; /reindex rebuilds the index from the corpus folder."
        )
    await message.reply_text(text, parse_mode=ParseMode.HTML)


@admitted
async def on_sources(update: Update, context: Context, message: Message) -> None:
    t = texts(update)
    lines = []
    for d in context.service.documents():
        title = escape(d.title)
        if d.document.url:
            title = f'<a href="{escape(d.document.url, quote=True)}">{title}</a>'
        lines.append(f"• {title} — {t(DOCUMENT_LINE, chunks=d.chunks, date=escape(d.indexed))}")
    blocks = [f"<b>{t(DOCUMENT_COUNT, count=len(lines))}</b>", *lines]
    one = "\n".join(blocks)
    for part in pack([one] if utf16_len(one) <= MESSAGE_LIMIT else blocks):
        await message.reply_text(
            part, parse_mode=ParseMode.HTML, link_preview_options=no_preview(part)
        )


@admitted
async def on_reset(update: Update, context: Context, message: Message) -> None:
    if update.effective_chat is not None:
        service = context.service
        await service.off_loop(service.state.forget, update.effective_chat.id)
    await message.reply_text(texts(update)(FORGOTTEN))


async def on_ask_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not await _admit(update, context, question=True):
        return
    question = " ".join(context.args or [])
    if not question.strip():
        await message.reply_text(texts(update)(ASK_USAGE))
        return
    await ask_in_turn(update, context, question)


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
    await message.reply_text(texts(update)(ONLY_TEXT))


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
    await message.reply_text(texts(update)(UNKNOWN_COMMAND, command=command[:40]))
