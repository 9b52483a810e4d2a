"""/documents (operators): the corpus from the chat — one message, paged with buttons, each
document with a Remove button that asks to confirm; a removal moves the file aside
(``index.corpus.remove``: recoverable, never indexed) and updates the index incrementally,
in the same message.

The buttons' data is ``docs:p:<page>`` (show a page), ``docs:r:<doc>:<page>`` (ask to
confirm) and ``docs:y:<doc>:<page>`` (confirmed), where ``<doc>`` is the document's id and
the start of its version's hash: it fits Telegram's 64 bytes whatever the file's name, and
is looked up again at every press — a document removed meanwhile (by another operator, or
``verbatim remove``), or replaced by another version since the list was shown, is said to
be so, never confused with another.
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
from index.corpus import CorpusEntry
from index.errors import DocumentError

log = logging.getLogger("bot.handlers")

PAGE_SIZE = 5
_TITLE_CHARS = 120
_PRESS = re.compile(r"^docs:(?:p|([ry]):([0-9a-f]{16}:[0-9a-f]{8})):(\d{1,5})$")
_NAME_CHARS = 100


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

    async def gone(found: list[CorpusEntry]) -> None:
        """Say the document is not (or no longer the version) listed; show the page anew."""
        replaced = any(e.doc_id == doc_id.split(":")[0] and e.bytes is not None for e in found)
        await _answer_press(
            context,
            query,
            "That document has changed since this list was made: here it is as it is now."
            if replaced
            else "That document is no longer in the corpus.",
            show_alert=True,
        )
        await _show(message, *_page(found, page))

    entry = next((e for e in found if _key(e) == doc_id), None)
    if entry is None or entry.bytes is None:
        await gone(found)
        return
    if action == "r":
        await _answer_press(context, query)
        await _show(message, *_confirmation(entry, page))
        return
    try:
        kept = await service.remove_document(entry.name)
    except DocumentError:  # removed meanwhile (a second press, another operator)
        await gone(await service.corpus_entries())
        return
    log.info("document removed: %s (kept as %s)", entry.name, kept)
    await _answer_press(context, query, _short(f"Removed {entry.name}.", 190))
    status = await _show(
        message,
        f"Removed {_short(entry.name, _NAME_CHARS)} ({_short(entry.title)}); the file is kept "
        f"as {_short(kept, 2 * _NAME_CHARS)} in the corpus folder. Updating the index…",
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
        InlineKeyboardButton(f"Remove {number}", callback_data=f"docs:r:{_key(entry)}:{page}")
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
    # At most five entries of bounded title and name: far below Telegram's 4,096 characters
    # (which count the text shown, not the links' addresses).
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _key(entry: CorpusEntry) -> str:
    """The document and its version, as the buttons name them."""
    return f"{entry.doc_id}:{entry.content_hash[:8]}"


def _details(entry: CorpusEntry) -> str:
    """``name · source · size · chunks · added``, in HTML."""
    if entry.url:
        host = urlsplit(entry.url).hostname or entry.url
        source = f'from <a href="{escape(entry.url, quote=True)}">{escape(host)}</a>'
    else:
        source = "a file"
    size = human_size(entry.bytes or 0)
    chunks = f"{entry.chunks} chunk{'' if entry.chunks == 1 else 's'}"
    added = (entry.added or entry.changed or "")[:10]
    name = escape(_short(entry.name, _NAME_CHARS))
    return f"<code>{name}</code> · {source} · {size} · {chunks} · added {added}"


def _confirmation(entry: CorpusEntry, page: int) -> tuple[str, InlineKeyboardMarkup]:
    name = escape(_short(entry.name, _NAME_CHARS))
    text = (
        f"Remove <b>{escape(_short(entry.title))}</b> (<code>{name}</code>)? "
        "I will stop quoting it: the file is moved to the corpus folder's <code>.removed/"
        "</code> (recoverable) and the index is updated."
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes, remove", callback_data=f"docs:y:{_key(entry)}:{page}"),
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


def _short(text: str, limit: int = _TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
