"""Readers for the formats people have besides text, Markdown and HTML: ``.pdf`` (pypdf),
``.docx`` (python-docx), ``.odt`` (odfpy), ``.epub`` (EbookLib), ``.rtf`` (striprtf) and
``.csv`` (the standard library). Each returns, like the readers of ``index.documents``, the
title, the paragraphs (a heading is a paragraph of its own, so it is never glued to the
sentence after it) and the document's URL (none here). A file that is not what its name says,
or is damaged, is a ``DocumentError`` that names it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from index.cleaning import (
    HEADING_MARK,
    PAGE_BREAK,
    clean_lines,
    first_line_title,
    unwrap_lines,
    without_running_lines,
)
from index.errors import DocumentError

Read = tuple[str, list[str], str | None]

_MAX_CSV_ROWS = 100_000


def read_docx(raw: bytes, source: str) -> Read:
    import docx  # python-docx, only when a .docx file is read

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # not a zip, not a Word document, damaged parts
        raise DocumentError(f"{source}: corrupt or unreadable Word document ({exc})") from None
    paragraphs: list[str] = []
    title = (document.core_properties.title or "").strip()
    for style, text in _docx_blocks(document):
        heading = style == "Title" or style.startswith("Heading")
        paragraphs.append(HEADING_MARK + text if heading else text)
        if not title and style in ("Title", "Heading 1"):
            title = text
    return title, clean_lines(paragraphs), None


def _docx_blocks(document: Any) -> Iterator[tuple[str, str]]:
    """(style, text) of the body's paragraphs and table rows, in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    number = 0  # the place of a "List Number" paragraph in its list
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = " ".join(item.text.split())
            style = item.style.name if item.style is not None else ""
            if style == "List Number":
                number += 1
            elif not style.startswith("List Number "):  # ("List Number 2": a sub-step)
                number = 0
            if text:  # a numbered step keeps its number, as Word shows it
                numbered = style == "List Number" and number
                yield style, f"{number}. {text}" if numbered else text
        elif isinstance(item, Table):
            number = 0
            rows = [[" ".join(c.text.split()) for c in row.cells] for row in item.rows]
            yield from (("Table", line) for line in _table_sentences([r for r in rows if any(r)]))


def _table_sentences(rows: list[list[str]]) -> list[str]:
    """A Word table's rows as sentences: in a table of two columns, each row's value beside
    its key ("Weight: 3.4 kg."); in a wider one, each value beside its column's header when
    the first row is one (no cell of it holds a digit: "Part: Side brush; Clean: Every week;
    Replace: Every 3 months."), else the values alone. A cell Word repeats because it is
    merged across the row is said once."""
    rows = [list(dict.fromkeys(row)) if len(set(row)) == 1 else row for row in rows]
    if rows and all(len(row) == 2 for row in rows):
        return [line for row in rows if (line := table_row(row[:1], row[1:]))]
    if len(rows) > 1 and not any(any(ch.isdigit() for ch in cell) for cell in rows[0]):
        return [line for row in rows[1:] if (line := table_row(rows[0], row))]
    return [line for row in rows if (line := table_row([], list(dict.fromkeys(row))))]


def read_odt(raw: bytes, source: str) -> Read:
    from odf import teletype
    from odf.opendocument import load

    try:
        document = load(io.BytesIO(raw))
        body = document.text
    except Exception as exc:  # not a zip, not an OpenDocument text, damaged XML
        raise DocumentError(f"{source}: corrupt or unreadable OpenDocument text ({exc})") from None
    paragraphs: list[str] = []
    title = ""
    for kind, node in _odf_blocks(body):
        text = " ".join(teletype.extractText(node).split())
        if not text:
            continue
        paragraphs.append(HEADING_MARK + text if kind == "h" else text)
        if kind == "h" and not title:
            title = text
    meta_title = _odf_meta_title(document)
    return meta_title or title, clean_lines(paragraphs), None


def _odf_blocks(node: Any) -> Iterator[tuple[str, Any]]:
    """Headings (``h``) and paragraphs (``p``) in document order, lists and tables included."""
    for child in getattr(node, "childNodes", []):
        name = getattr(child, "qname", (None, None))[1]
        if name in ("h", "p"):
            yield name, child
        else:
            yield from _odf_blocks(child)


def _odf_meta_title(document: Any) -> str:
    from odf import dc, teletype

    titles = document.meta.getElementsByType(dc.Title) if document.meta else []
    return " ".join(teletype.extractText(titles[0]).split()) if titles else ""


def read_epub(raw: bytes, source: str) -> Read:
    import ebooklib
    from ebooklib import epub
    from lxml import html

    try:
        book = epub.read_epub(io.BytesIO(raw), options={"ignore_ncx": True})
    except Exception as exc:  # not a zip, no package document, damaged XML
        raise DocumentError(f"{source}: corrupt or unreadable EPUB ({exc})") from None
    paragraphs: list[str] = []
    for item_id, _linear in book.spine:
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        if isinstance(item, epub.EpubNav):  # the table of contents, not the book's text
            continue
        try:
            tree = html.fromstring(item.get_content())
        except Exception:  # noqa: S112 - an unreadable chapter is skipped, the rest read
            continue
        for element in tree.iter("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote"):
            if element.getparent() is not None and element.getparent().tag in ("li", "blockquote"):
                continue  # read with its container
            text = " ".join(element.text_content().split())
            if text:
                heading = element.tag in ("h1", "h2", "h3", "h4", "h5", "h6")
                paragraphs.append(HEADING_MARK + text if heading else text)
    metadata = book.get_metadata("DC", "title")
    title = " ".join(str(metadata[0][0]).split()) if metadata else ""
    # the author, as a line under the title ("Who wrote it?" quotes it), as for a web page
    authors = [" ".join(str(c[0]).split()) for c in book.get_metadata("DC", "creator")]
    if authors := [a for a in authors if a]:
        byline = "By " + " and ".join(authors)
        at = 1 if paragraphs and paragraphs[0].replace(HEADING_MARK, "") == title else 0
        paragraphs[at:at] = [byline]
    return title, clean_lines(paragraphs), None


_RTF_START = re.compile(rb"^\s*\{\\rtf")


def read_rtf(raw: bytes, source: str) -> Read:
    from striprtf.striprtf import rtf_to_text

    if not _RTF_START.match(raw):
        raise DocumentError(f"{source}: not an RTF file (it does not start with {{\\rtf)")
    try:
        text = str(rtf_to_text(raw.decode("cp1252", errors="replace"), errors="replace"))  # type: ignore[no-untyped-call]
    except Exception as exc:
        raise DocumentError(f"{source}: corrupt or unreadable RTF ({exc})") from None
    paragraphs = clean_lines(unwrap_lines(text.splitlines()))
    title = paragraphs[0] if paragraphs and len(paragraphs[0]) <= 200 else ""
    return title, paragraphs, None


def read_csv(raw: bytes, source: str) -> Read:
    """A row is a paragraph, each value beside its column's header ("Name: Koryolink; Founded:
    2008."), so that a quote says what its numbers are."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise DocumentError(f"{source}: looks like a binary file, not CSV")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(_limited(csv.reader(io.StringIO(text), dialect)))
    except csv.Error as exc:
        raise DocumentError(f"{source}: malformed CSV ({exc})") from None
    rows = [[" ".join(cell.split()) for cell in row] for row in rows if any(c.strip() for c in row)]
    if len(rows) < 2:
        raise DocumentError(f"{source}: a CSV file needs a header row and at least one row")
    header, body = rows[0], rows[1:]
    return "", clean_lines([table_row(header, row) for row in body]), None


def table_row(header: list[str], row: list[str]) -> str:
    """A table's row as a sentence, each value beside its column's header ("Name: Koryolink;
    Founded: 2008."); "" for a row without values."""
    pairs = [
        f"{name}: {value}" if name else value
        for name, value in zip(header + [""] * (len(row) - len(header)), row, strict=False)
        if value
    ]
    line = "; ".join(pairs)
    return line if not line or line.endswith((".", "!", "?")) else line + "."


def _limited(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    for number, row in enumerate(reader):
        if number >= _MAX_CSV_ROWS:
            raise csv.Error(f"more than {_MAX_CSV_ROWS:,} rows")
        yield row


def read_pdf(raw: bytes, source: str) -> Read:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{source}: the PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{source}: corrupt or unreadable PDF ({exc})") from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        raise DocumentError(f"{source}: corrupt or unreadable PDF ({exc})") from None
    paragraphs: list[str] = []
    # each page's paragraphs after a page break: its number is kept (its running header and
    # footer are not the text)
    for lines in without_running_lines([page.splitlines() for page in pages]):
        paragraphs.extend([PAGE_BREAK, *clean_lines(_pdf_paragraphs("\n".join(lines)))])
    title = str(meta_title).strip()
    text_only = [p for p in paragraphs if p != PAGE_BREAK]
    return title or first_line_title(text_only), paragraphs, None


_PDF_LINE_END = re.compile(r"[.!?:;,…\"”’)\]-]\s*$")
#: A line that opens a numbered clause or a list's item: "2.5 Overtime.", "3. PAY", "(a) claims",
#: "iv) …", "• …" (a clause's number has a dot or a bracket and a capital after it: not "25
#: pence per mile", nor a date, "14 March in the main hall…")
_PDF_ITEM = re.compile(
    r"^(?:\d{1,3}(?:(?:\.\d{1,3})+\.?|[.)])\s+[\"“(]?[A-Z]|\(?(?:[a-z]|[ivx]{1,4})\)\s|[•▪◦–-]\s)"
)


def _pdf_paragraphs(page_text: str) -> list[str]:
    """PDF text breaks lines inside sentences: join them, split paragraphs on blank lines.
    A heading or caption line keeps its own paragraph: a line much shorter than the block's
    longest, without closing punctuation, before a line that starts with a capital ("Budget"
    above "The first construction phase…" is not one sentence) or a clause's number. A line
    that opens a numbered clause or a list's item after one that ends with punctuation opens a
    paragraph ("…on the preceding Working Day." / "3.2 Salaries are reviewed…")."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", page_text)
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        width = max(len(line) for line in lines)
        current: list[str] = []
        for i, line in enumerate(lines):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if (
                len(line) < 0.6 * width
                and not _PDF_LINE_END.search(line)
                and (following[:1].isupper() or _PDF_ITEM.match(following))
            ):  # a heading: a paragraph of its own, apart from the text before and after
                paragraphs.extend([" ".join(current), line] if current else [line])
                current = []
                continue
            if current and _PDF_ITEM.match(line) and _PDF_LINE_END.search(current[-1]):
                paragraphs.append(" ".join(current))
                current = []
            current.append(line)
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs
