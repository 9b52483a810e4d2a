"""A saved or fetched web page read as its main text (trafilatura): navigation, scripts and
footers dropped; its tables' rows as sentences; its author and date, from its markup, as
lines under the title."""

from __future__ import annotations

import re

from index import formats
from index.cleaning import clean_lines, first_line_title
from index.errors import DocumentError

_PAGE_DATE_ONLY = {"extensive_search": False, "original_date": True}


def read_html(raw: bytes, source: str) -> tuple[str, list[str], str | None]:
    import trafilatura  # heavy import, only when an HTML file is read

    try:
        doc = trafilatura.bare_extraction(
            raw,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
            with_metadata=True,
            # the page's own date markup only (<meta>, <time>, JSON-LD, the URL): htmldate's
            # extensive search guesses one from any year on the page ("© 2025" became
            # "Published 2025-01-01", a date the page never gives)
            date_extraction_params=_PAGE_DATE_ONLY,
        )
    except Exception as exc:  # trafilatura raises many kinds on broken markup
        raise DocumentError(f"{source}: cannot parse HTML ({exc})") from None
    if doc is None:
        raise DocumentError(f"{source}: no main text found in the HTML page")
    text = getattr(doc, "text", None) or ""
    paragraphs = clean_lines(_html_tables(text.splitlines(), _tables_headed_by_row(raw)))
    title = (getattr(doc, "title", None) or "").strip()
    url = getattr(doc, "url", None) or None
    return title or first_line_title(paragraphs), _with_byline(paragraphs, doc, title), url


_TABLE_LINE = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    """A pipe row's cells ("\\|" is a pipe inside a cell)."""
    inner = line.strip()[1:-1]
    return [" ".join(c.replace("\\|", "|").split()) for c in _CELL_BORDER.split(inner)]


def _html_tables(lines: list[str], by_row: set[tuple[str, ...]]) -> list[str]:
    """trafilatura writes a table as Markdown's pipe rows ("| Weight | 9.5 kg | 18 kg |"): each
    row becomes a sentence with every value beside its column's header, as in Markdown and
    CSV ("Specification: Weight; Corvo Uno: 9.5 kg; …"); in a table whose rows are headed by
    their first cell (``by_row``: their first rows' cells), beside that cell ("Weight: 9.5
    kg."); a table without a header row gives its values alone."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _TABLE_LINE.match(lines[j]):
            j += 1
        if j == i:
            out.append(lines[i])
            i += 1
            continue
        rows = [_cells(line) for line in lines[i:j] if not _TABLE_RULE.match(line)]
        header: list[str] = []
        if not rows:  # rules alone
            sentences = []
        elif tuple(rows[0]) in by_row:
            sentences = [formats.table_row(row[:1], row[1:]) for row in rows]
        else:
            if j - i > 1 and _TABLE_RULE.match(lines[i + 1]):
                header, rows = rows[0], rows[1:]
            sentences = [formats.table_row(header, row) for row in rows] or [
                formats.table_row([], header)
            ]
        out.extend(["", *sentences, ""])
        i = j
    return out


def _tables_headed_by_row(raw: bytes) -> set[tuple[str, ...]]:
    """The first rows (their cells' text) of the page's tables whose every row opens with a
    header cell followed by data cells (``<th>Weight</th><td>9.5 kg</td>``): a key and its
    values, not a header row over columns (trafilatura's text does not tell them apart)."""
    from lxml import html as lxml_html  # (trafilatura's own dependency)

    try:
        tree = lxml_html.fromstring(raw)
    except Exception:  # lxml raises many kinds on what trafilatura read anyway
        return set()
    found: set[tuple[str, ...]] = set()
    for table in tree.iter("table"):
        rows = [
            [c for c in tr if c.tag in ("th", "td")]
            for tr in table.iter("tr")
            if next((a for a in tr.iterancestors("table")), None) is table
        ]
        rows = [r for r in rows if r]
        if rows and all(
            len(r) > 1 and r[0].tag == "th" and all(c.tag == "td" for c in r[1:]) for r in rows
        ):
            found.add(tuple(" ".join(c.text_content().split()) for c in rows[0]))
    return found


def _with_byline(paragraphs: list[str], doc: object, title: str) -> list[str]:
    """The page's author and date (trafilatura's metadata: the byline, ``<meta>``, JSON-LD)
    as lines under the title, so that "Who wrote it?" and "When was it published?" have
    something to quote; extraction keeps only the body, where the byline seldom is."""
    author = " ".join(str(getattr(doc, "author", None) or "").split())
    date = str(getattr(doc, "date", None) or "").strip()
    lines = []
    if author and author.casefold() not in "\n".join(paragraphs).casefold():
        lines.append(f"By {author}")
    if date and date not in "\n".join(paragraphs):
        lines.append(f"Published {date}")
    if not lines:
        return paragraphs
    at = 1 if paragraphs and title and paragraphs[0].strip() == title else 0
    return paragraphs[:at] + lines + paragraphs[at:]
