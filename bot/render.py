"""Telegram HTML for answers, escaped throughout, split under Telegram's 4096-character limit.

Every piece of document or user text goes through ``html.escape``. Long output is split into
messages at block (paragraph) boundaries, then sentence, then word boundaries; each message is
valid HTML on its own because markup is applied per piece, never across a split. Telegram
counts a message's length in UTF-16 code units (an emoji such as 🚀 is two): so does
``utf16_len``, and every limit here is in those units.
"""

from __future__ import annotations

import re
from html import escape

from bot.i18n import N_
from index.types import Answer, Passage

MESSAGE_LIMIT = 4096
NOT_FOUND = N_(
    "I could not find that in the documents.\n"
    "<i>Try other words, or ask about something the documents cover — /sources lists them.</i>"
)


def passage_html(passage: Passage, number: int | None = None) -> str:
    """The quote in a blockquote with the highlight in bold, then the source."""
    rel_start = passage.highlight_start - passage.start
    rel_end = rel_start + len(passage.highlight)
    quote = (
        escape(passage.text[:rel_start])
        + "<b>"
        + escape(passage.text[rel_start:rel_end])
        + "</b>"
        + escape(passage.text[rel_end:])
    )
    source = f"— <i>{escape(passage.title)}</i>"
    if passage.section and passage.section != passage.title:
        source += f", {escape(passage.section)}"
    if passage.page is not None:
        source += f", p. {passage.page}"
    if passage.url:
        link = passage.link or passage.url
        source += f' (<a href="{escape(link, quote=True)}">source</a>)'
    prefix = f"{number}. " if number is not None else ""
    return f"{prefix}<blockquote>{quote}</blockquote>\n{source}"


def answer_html(
    answer: Answer, first_number: int | None = None, not_found: str = NOT_FOUND
) -> list[str]:
    """Messages for an answer (normally one); ``not_found`` (in the user's language) when
    the documents do not answer."""
    if not answer.answered or not answer.passages:
        return [not_found]
    blocks = []
    for i, passage in enumerate(answer.passages):
        number = None if first_number is None else first_number + i
        blocks.append(passage_html(passage, number))
    return pack(blocks)


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def utf16_len(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (characters beyond U+FFFF are two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def cut_utf16(text: str, limit: int) -> str:
    """The longest start of ``text`` within ``limit`` UTF-16 code units (never half a
    character)."""
    return text[: _chars_within(text, limit)]


def _chars_within(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 code units."""
    if len(text) <= limit and utf16_len(text) <= limit:
        return len(text)
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def pack(blocks: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join HTML blocks with blank lines into as few messages as fit under ``limit``.

    A block longer than the limit must be plain text marked as such with ``plain_blocks``;
    HTML blocks built here are far below it (a passage is at most 600 characters).
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        fits = utf16_len(block) <= limit
        current = block if fits else ""
        if not fits:
            messages.extend(split_plain_html(block, limit))
    if current:
        messages.append(current)
    return messages


def plain_blocks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Escape plain text and split it into messages under ``limit``."""
    return split_plain_html(escape(text), limit)


_TAGS = re.compile(r"<[^>]+>")


def strip_tags(html: str) -> str:
    """The text of HTML made here (tags removed, entities kept)."""
    return _TAGS.sub("", html)


def split_plain_html(escaped: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split text that has only entity escapes (no tags) at paragraph, sentence or word
    boundaries, never inside an ``&amp;``-style entity."""
    text = strip_tags(escaped)  # a block too long for one message loses its markup
    out: list[str] = []
    while utf16_len(text) > limit:
        size = _chars_within(text, limit)
        window = text[:size]
        cut = window.rfind("\n\n")
        if cut < size // 2:
            ends = [m.end() for m in _SENTENCE_END.finditer(window)]
            cut = ends[-1] if ends and ends[-1] >= size // 2 else window.rfind(" ")
        if cut <= 0:
            cut = size
        amp = text.rfind("&", 0, cut)
        if amp != -1 and ";" not in text[amp:cut]:
            cut = amp  # do not split an entity
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        out.append(text)
    return out
