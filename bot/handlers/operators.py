"""The operators' side: uploads (checked and stored off the event loop, never replacing a
document silently) and /reindex."""

from __future__ import annotations

import contextlib
import logging
import re
import unicodedata
import uuid
from pathlib import Path

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.handlers.common import _admit, _answer_press, _is_admin, admitted, texts
from bot.handlers.context import Context, PendingUpload
from bot.i18n import N_
from bot.render import MESSAGE_LIMIT, cut_utf16
from bot.service import AnswerService
from index.documents import SUPPORTED_NAMES, SUPPORTED_SUFFIXES
from index.errors import DocumentError

log = logging.getLogger("bot.handlers")  # one name for all handlers, as in the logs

OPERATORS_ONLY_UPLOAD = N_(
    "Thanks, but only the bot's operators can add documents. Nothing was stored."
)
OPERATORS_ONLY = N_("Sorry, only the bot's operators can add documents.")

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
        await message.reply_text(texts(update)(OPERATORS_ONLY_UPLOAD))
        return
    settings = context.settings
    service = context.service
    doc = message.document
    name = sanitise_filename(doc.file_name or "document")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        await message.reply_text(
            f"I cannot read {suffix or 'files without an extension'}: send a "
            f"{SUPPORTED_NAMES} file. Nothing was stored."
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
        token = _pending_upload(context, PendingUpload(name, data, chat.id, message.message_id))
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
    update: Update, context: Context, message: Message, name: str, data: bytes, *, replace: bool
) -> None:
    service = context.service
    written, kept = await service.store_upload(name, data, replace=replace)
    log.info("document saved: %s (%d bytes)", written, len(data))
    verb = "Replaced" if kept else "Saved"
    aside = f" (the old version is kept as {kept})" if kept else ""
    status = await message.reply_text(f"{verb} {written}{aside}. Updating the index…")
    context.application.create_task(_rebuild_and_report(status, service), update=update)


def _pending_upload(context: Context, upload: PendingUpload) -> str:
    token = uuid.uuid4().hex[:12]
    context.bot_data.remember_upload(token, upload)
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
    pending = context.bot_data.uploads
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


@admitted
async def on_reindex(update: Update, context: Context, message: Message) -> None:
    if not _is_admin(update, context):
        await message.reply_text("Sorry, only the bot's operators can rebuild the index.")
        return
    service = context.service
    if service.rebuilding:
        await message.reply_text("A rebuild is already running; I will switch to it when done.")
        return
    status = await message.reply_text("Rebuilding the index from the corpus…")
    context.application.create_task(_rebuild_and_report(status, service), update=update)


@admitted
async def on_add(update: Update, context: Context, message: Message) -> None:
    """/add URL [URL ...]: add web pages or PDFs by their links (operators only)."""
    if not _is_admin(update, context):
        await message.reply_text(texts(update)(OPERATORS_ONLY))
        return
    urls = links_in(context.args or [])
    if not urls:
        await message.reply_text("Send /add and a link: /add https://example.org/page")
        return
    await add_links(context, message, urls)


def links_in(words: list[str]) -> list[str]:
    """The http(s) links among ``words`` (trailing punctuation and brackets aside), each
    once: what an operator's message asks to add ("Please add https://…, thanks"); a bare
    ``www.`` address is read as https."""
    links = []
    for word in words:
        word = word.lstrip("<([\"'").rstrip(">)]\"'.,;:!?")
        lower = word.lower()
        at = lower.find("http://") if "http://" in lower else lower.find("https://")
        if at >= 0:
            links.append(word[at:])
        elif lower.startswith("www.") and len(lower) > 4:
            links.append(f"https://{word}")
    return list(dict.fromkeys(links))


async def add_links(context: Context, message: Message, urls: list[str]) -> None:
    """Fetch and save each link, then update the index: one reply, edited as it goes."""
    service = context.service
    shown = urls[:_MAX_LINKS]
    status = await message.reply_text(f"Fetching {len(shown)} link{'s' if len(shown) > 1 else ''}…")
    lines: list[str] = []
    saved = 0
    for number, url in enumerate(shown, 1):
        if number > 1:  # progress: what is done so far, and which link is being fetched
            status = await _edit(status, "\n".join([*lines, f"Fetching {number} of {len(shown)}…"]))
        try:
            added = await service.add_link(url)
        except DocumentError as exc:  # FetchError too: why, in one line
            lines.append(f"✗ {exc}")
            continue
        if not added.changed:
            lines.append(f"Unchanged {added.path.name}: {added.title} (the same text as before)")
            continue
        saved += 1
        lines.append(f"{'Added' if added.new else 'Refreshed'} {added.path.name}: {added.title}")
    if len(urls) > len(shown):
        lines.append(f"(only the first {_MAX_LINKS} links of a message are added)")
    text = "\n".join(lines)
    if not saved:
        await _edit(status, text)
        return
    edited = await _edit(status, f"{text}\nUpdating the index…")
    context.application.create_task(_rebuild_and_report(edited, service))


async def _edit(status: Message, text: str) -> Message:
    """Edit the status message (or send the text anew if it cannot be edited, e.g. deleted
    meanwhile)."""
    text = cut_utf16(text, MESSAGE_LIMIT)
    try:
        edited = await status.edit_text(text)
    except TelegramError as exc:
        log.info("could not edit the status message (%s); sending a new one", exc)
        return await status.reply_text(text)
    return edited if isinstance(edited, Message) else status


_MAX_LINKS = 5


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
    await _edit(status, text)  # e.g. deleted meanwhile: said anew
