"""Where a quote is, for its citation: the section heading it sits under, and a link that
opens the page scrolled to the quoted sentence (a URL text fragment, ``#:~:text=``)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from index.text_features import is_section_heading
from index.types import Document

_MAX_SECTION_LOOKBACK = 200  # paragraphs searched back for a heading
_FRAGMENT_WORDS = 4  # a long quote is linked by its first and last words (textStart,textEnd)
_MAX_FRAGMENT_CHARS = 80  # a quote this long or shorter is linked whole


def section_of(doc: Document, start: int) -> str | None:
    """The heading of the section ``doc.text[start:]`` is in: the nearest heading before it
    or at it (a quote that opens with its heading is in that section), where the document's
    format marks its headings (``Document.headings``), else the nearest paragraph there that
    looks like one (short, no closing punctuation, not a byline, a field's value or a list's
    item); the document's title aside."""
    text = doc.text
    if doc.headings:
        before = [h for h in doc.headings if h <= start]
        if not before:
            return None
        begin = before[-1]
        end = text.find("\n\n", begin)
        heading = text[begin : end if end >= 0 else len(text)].strip()
        return None if begin == 0 and heading == doc.title else heading
    if start > 0 and text[start - 2 : start] == "\n\n":  # a quote that opens a paragraph
        end = text.find("\n\n", start)
        first = text[start : end if end >= 0 else len(text)].strip()
        if is_section_heading(first):
            return first
    end = text.rfind("\n\n", 0, start)
    for _ in range(_MAX_SECTION_LOOKBACK):
        if end <= 0:
            return None
        begin = text.rfind("\n\n", 0, end)
        paragraph = text[begin + 2 if begin >= 0 else 0 : end].strip()
        if begin < 0:
            return None  # the first paragraph is the document's title, not a section
        if is_section_heading(paragraph):
            return paragraph
        end = begin
    return None


def _encode(words: str) -> str:
    # Text-fragment syntax gives "-", "," and "&" meanings of their own: encode them too.
    return quote(words, safe="").replace("-", "%2D")


def page_link(url: str, page: int | None) -> str:
    """``url`` opened at ``page`` (``#page=N``: what PDF viewers follow; a text fragment is
    not); ``url`` itself without a page."""
    if page is None:
        return url
    return urlunsplit(urlsplit(url)._replace(fragment=f"page={page}"))


def text_fragment_link(url: str, quoted: str) -> str:
    """``url`` with a text fragment that highlights ``quoted`` in browsers that support it
    (others open the page at the top); ``url`` itself when there is nothing to point at."""
    words = quoted.split()
    if not words:
        return url
    if len(" ".join(words)) <= _MAX_FRAGMENT_CHARS or len(words) <= 2 * _FRAGMENT_WORDS:
        directive = _encode(" ".join(words))
    else:
        first = " ".join(words[:_FRAGMENT_WORDS])
        last = " ".join(words[-_FRAGMENT_WORDS:])
        directive = f"{_encode(first)},{_encode(last)}"
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=f":~:text={directive}"))


def deep_link(doc: Document, start: int, h_start: int, h_end: int) -> str | None:
    """The link to a passage at ``start`` whose bold sentence is ``[h_start, h_end)``: its
    page for a paged document (a PDF), else a text fragment on the sentence; None without a
    URL."""
    if not doc.url:
        return None
    if doc.pages:
        return page_link(doc.url, doc.page_at(start))
    return text_fragment_link(doc.url, doc.text[h_start:h_end])
