"""/documents (operators): the corpus from the chat — one message, paged with buttons, each
document with a Remove button that asks to confirm; a removal moves the file aside
(``index.corpus.remove``: recoverable, never indexed) and updates the index incrementally,
in the same message.

The buttons' data is ``docs:p:<page>`` (show a page), ``docs:r:<doc id>:<page>`` (ask to
confirm) and ``docs:y:<doc id>:<page>`` (confirmed): documents are named by their id, which
fits Telegram's 64 bytes whatever the file's name, and is looked up again at every press —
a document removed meanwhile (by another operator, or ``verbatim remove``) is said to be gone,
never confused with another.
"""

from __future__ import annotations

import contextlib
import logging
import re
from html import escape
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.handlers.common import _answer_press, _is_admin, admitted, admitted_press, no_preview
from bot.handlers.context import Context
from bot.handlers.operators import _rebuild_and_report, human_size
from bot.render import MESSAGE_LIMIT, cut_utf16
from index.corpus import CorpusEntry
from index.errors import DocumentError

log = logging.getLogger("bot.handlers")

PAGE_SIZE = 5
_TITLE_CHARS = 120
_PRESS = re.compile(r"^docs:(?:p|([ry]):([0-9a-f]{16})):(\d{1,5})$")


@admitted
async def on_documents(update: Update, context: Context, message: Message) -> None:
    """/documents: the first page of the corpus listing (operators only)."""
    if not _is_admin(update, context):
        await message.reply_text("Sorry, only the bot's operators can list and remove documents.")
        return
    found = await context.service.corpus_entries()
    text, markup = _page(found, 0)
    await message.reply_text(
        text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=no_preview(text)
    )


async def on_documents_press(update: Update, context: Context) -> None:
    """A button of the listing: another page, Remove (asks), Yes (removes), Cancel."""
    query = await admitted_press(update, context)
    if query is None:
        return
    match = _PRESS.match(query.data or "")
    message = query.message
    if match is None or not isinstance(message, Message):
        await _answer_press(context, query, "This button is not recognised.")
        return
    if not _is_admin(update, context):
        await _answer_press(context, query, "Only the bot's operators can choose this.")
        return
    action, doc_id, page_text = match.groups()
    page = int(page_text)
    service = context.service
    found = await service.corpus_entries()
    if action is None:
        await _answer_press(context, query)
        await _show(message, *_page(found, page))
        return
    entry = next((e for e in found if e.doc_id == doc_id), None)
    if entry is None or entry.bytes is None:
        await _answer_press(
            context, query, "That document is no longer in the corpus.", show_alert=True
        )
        await _show(message, *_page(found, page))
        return
    if action == "r":
        await _answer_press(context, query)
        await _show(message, *_confirmation(entry, page))
        return
    try:
        kept = await service.remove_document(entry.name)
    except DocumentError:  # removed meanwhile (a second press, another operator)
        await _answer_press(
            context, query, "That document is no longer in the corpus.", show_alert=True
        )
        await _show(message, *_page(await service.corpus_entries(), page))
        return
    log.info("document removed: %s (kept as %s)", entry.name, kept)
    await _answer_press(context, query, f"Removed {entry.name}.")
    status = await _show(
        message,
        f"Removed {entry.name} ({entry.title}); the file is kept as {kept} in the corpus "
        "folder. Updating the index…",
        None,
        html=False,
    )
    context.application.create_task(_rebuild_and_report(status, service), update=update)


def _page(found: list[CorpusEntry], page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page ``page`` of the listing (the last one if it is past the end): its text and
    buttons."""
    present = [e for e in found if e.bytes is not None]
    if not present:
        return "<b>No documents</b> in the corpus. Send me a file or a link to add one.", None
    pages = -(-len(present) // PAGE_SIZE)
    page = min(page, pages - 1)
    first = page * PAGE_SIZE
    shown = present[first : first + PAGE_SIZE]
    lines = [f"<b>{len(present)} document{'s' if len(present) > 1 else ''}</b>"]
    if pages > 1:
        lines[0] += f" — page {page + 1} of {pages}"
    for number, entry in enumerate(shown, first + 1):
        lines.append(f"\n{number}. <b>{escape(_short(entry.title))}</b>\n{_details(entry)}")
    buttons = [
        InlineKeyboardButton(f"Remove {number}", callback_data=f"docs:r:{entry.doc_id}:{page}")
        for number, entry in enumerate(shown, first + 1)
    ]
    rows = [buttons]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("‹ Previous", callback_data=f"docs:p:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("Next ›", callback_data=f"docs:p:{page + 1}"))
    if nav:
        rows.append(nav)
    return cut_utf16("\n".join(lines), MESSAGE_LIMIT), InlineKeyboardMarkup(rows)


def _details(entry: CorpusEntry) -> str:
    """``name · source · size · chunks · added``, in HTML."""
    if entry.url:
        host = urlsplit(entry.url).hostname or entry.url
        source = f'from <a href="{escape(entry.url, quote=True)}">{escape(host)}</a>'
    else:
        source = "a file"
    size = human_size(entry.bytes or 0)
    chunks = f"{entry.chunks} chunk{'' if entry.chunks == 1 else 's'}"
    added = (entry.changed or "")[:10]
    return f"<code>{escape(entry.name)}</code> · {source} · {size} · {chunks} · added {added}"


def _confirmation(entry: CorpusEntry, page: int) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        f"Remove <b>{escape(_short(entry.title))}</b> (<code>{escape(entry.name)}</code>)? "
        "I will stop quoting it: the file is moved to the corpus folder's <code>.removed/"
        "</code> (recoverable) and the index is updated."
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes, remove", callback_data=f"docs:y:{entry.doc_id}:{page}"),
                InlineKeyboardButton("Cancel", callback_data=f"docs:p:{page}"),
            ]
        ]
    )
    return text, markup


async def _show(
    message: Message, text: str, markup: InlineKeyboardMarkup | None, *, html: bool = True
) -> Message:
    """Edit the listing's message in place (a page, the question, the outcome)."""
    with contextlib.suppress(BadRequest):  # "message is not modified": the same page again
        edited = await message.edit_text(
            text,
            parse_mode=ParseMode.HTML if html else None,
            reply_markup=markup,
            link_preview_options=no_preview(text),
        )
        if isinstance(edited, Message):
            return edited
    return message


def _short(title: str) -> str:
    return title if len(title) <= _TITLE_CHARS else title[: _TITLE_CHARS - 1] + "…"
