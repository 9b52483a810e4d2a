"""Reading documents from the corpus folder: plain text here; Markdown in ``index.markdown``,
web pages in ``index.html_page``; PDF, Word, OpenDocument, EPUB, RTF and CSV in
``index.formats``.

Every reader returns the document's *cleaned* text: paragraphs separated by a blank line, page
furniture removed. Quotes are slices of that text, so what the bot quotes is exactly what the
cleaned document says.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from index import formats
from index.cleaning import (
    HEADING_MARK,
    PAGE_BREAK,
    clean_lines,
    first_line_title,
    unwrap_lines,
    without_running_lines,
    wrap_width,
)
from index.errors import CorpusError, DocumentError
from index.html_page import read_html
from index.languages import word_count
from index.markdown import markdown_paragraphs
from index.types import Document

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (
    ".txt",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".pdf",
    ".docx",
    ".odt",
    ".epub",
    ".rtf",
    ".csv",
)
#: The formats, as the bot and the command line name them to people.
SUPPORTED_NAMES = ".txt, .md, .html, .pdf, .docx, .odt, .epub, .rtf or .csv"
#: Bumped whenever a reader reads a file otherwise (the text, title, pages or headings it
#: gives): an index built with another version reads its documents again, and re-embeds those
#: that now read otherwise (``index.build``). 2: Markdown as CommonMark (markdown-it-py);
#: 3: an HTML page's date from its date markup only, its tables' rows as sentences; 4: a
#: Markdown paragraph of linked images alone (badges) left out; 5: "We use cookies to …" kept
#: unless it reads as a banner; 6: Word tables' rows as sentences and numbered steps with their
#: numbers, an EPUB without its table of contents and with its author, a wrapped compound's
#: hyphen kept; 7: a two-column Word table's rows as key: value; 8: a page's running header and
#: footer left out (PDF, text with form feeds), a PDF's numbered clauses and items as paragraphs,
#: text printed to pages unwrapped at one width, a plain-text table's rows kept apart.
READERS_VERSION = 8
_URL_LINE = re.compile(r"^\s*(?:url|source)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)
_MIN_WORDS = 3


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def doc_id_for(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Files of the corpus, sorted; unsupported ones are skipped with a one-line warning."""
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {corpus_dir} is not a folder")
    for path in sorted(corpus_dir.rglob("*")):
        if not path.is_file() or any(
            part.startswith(".") for part in path.relative_to(corpus_dir).parts
        ):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            if path.name.lower() != "readme.md":
                log.warning("skipped %s: unsupported file type %r", path, path.suffix or "(none)")
            continue
        yield path


def read_document(path: Path, corpus_dir: Path, data: bytes | None = None) -> Document:
    """Read and clean one file. Raises DocumentError naming the file when it cannot be read."""
    source = path.relative_to(corpus_dir).as_posix()
    try:
        raw = path.read_bytes() if data is None else data
    except OSError as exc:
        raise DocumentError(f"{source}: cannot read file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise DocumentError(f"{source}: file is empty")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise DocumentError(f"{source}: unsupported file type {path.suffix!r}")
    title, paragraphs, url = reader(raw, source)
    title = title.replace(HEADING_MARK, "").strip()
    text, pages, headings = _join_pages(paragraphs)
    # (Chinese, Japanese and Thai put no spaces between words: counted by their letters)
    if len(text.split()) < _MIN_WORDS and word_count(text) < _MIN_WORDS:
        raise DocumentError(f"{source}: no readable text after cleaning")
    if not title:
        title = _fallback_title(path)
    return Document(
        doc_id=doc_id_for(source),
        source=source,
        title=title,
        text=text,
        content_hash=sha256_bytes(raw),
        url=url,
        pages=pages,
        headings=headings,
    )


def _join_pages(paragraphs: list[str]) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """The document's text (paragraphs joined by blank lines), where each page starts in it
    (from the ``PAGE_BREAK`` paragraphs; none: no pages) and where each heading does (the
    paragraphs marked with ``HEADING_MARK``)."""
    kept: list[str] = []
    starts: list[int] = []
    headings: list[int] = []
    offset = 0
    for paragraph in paragraphs:
        if paragraph == PAGE_BREAK:
            starts.append(offset)
            continue
        if paragraph.startswith(HEADING_MARK):
            paragraph = paragraph.removeprefix(HEADING_MARK).strip()
            if not paragraph:
                continue
            headings.append(offset)
        kept.append(paragraph)
        offset += len(paragraph) + 2
    return "\n\n".join(kept), tuple(starts), tuple(headings)


Reader = Callable[[bytes, str], tuple[str, list[str], str | None]]


def _decode_text(raw: bytes, source: str) -> str:
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")  # a BOM: NUL bytes are its ASCII's halves
    if b"\x00" in raw[:8192] and not utf16:
        raise DocumentError(f"{source}: looks like a binary file, not text")
    for encoding in ("utf-16", "utf-8-sig") if utf16 else ("utf-8-sig",):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.01 * min(len(text), 8192) + 2 or text.count("\ufffd") > 0.05 * len(text) + 2:
        raise DocumentError(f"{source}: looks like a binary file, not text")
    return text


def _split_url(lines: list[str]) -> tuple[list[str], str | None]:
    """A "URL: https://..." or "Source: https://..." line near the top gives the document's URL."""
    for i, line in enumerate(lines[:5]):
        match = _URL_LINE.match(line)
        if match:
            return lines[:i] + lines[i + 1 :], match.group(1)
    return lines, None


def _read_txt(raw: bytes, source: str) -> tuple[str, list[str], str | None]:
    """A form feed starts a new page (a PDF added by its link is saved so, and printed text
    often has them): the document then has pages, as a PDF does."""
    pages = _decode_text(raw, source).split(PAGE_BREAK)
    lines, url = _split_url(pages[0].splitlines())
    if len(pages) == 1:
        paragraphs = clean_lines(unwrap_lines(lines))
    else:
        # a page's running header and footer are not the text; the text is wrapped at one
        # width throughout (a page of short lines, a table's, is not read as unwrapped)
        paged = without_running_lines([lines, *(page.splitlines() for page in pages[1:])])
        width = wrap_width([line for page in paged for line in page])
        paragraphs = []
        for page_lines in paged:
            paragraphs.extend([PAGE_BREAK, *clean_lines(unwrap_lines(page_lines, width))])
    return first_line_title([p for p in paragraphs if p != PAGE_BREAK]), paragraphs, url


def _read_markdown(raw: bytes, source: str) -> tuple[str, list[str], str | None]:
    lines, url = _split_url(_decode_text(raw, source).splitlines())
    title, paragraphs = markdown_paragraphs("\n".join(lines))
    paragraphs = clean_lines(paragraphs)
    return title or first_line_title(paragraphs), paragraphs, url


def _fallback_title(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


_READERS: dict[str, Reader] = {
    ".txt": _read_txt,
    ".md": _read_markdown,
    ".markdown": _read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": formats.read_pdf,
    ".docx": formats.read_docx,
    ".odt": formats.read_odt,
    ".epub": formats.read_epub,
    ".rtf": formats.read_rtf,
    ".csv": formats.read_csv,
}
