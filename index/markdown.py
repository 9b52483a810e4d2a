"""Markdown read as what a reader sees: ``markdown-it-py`` (CommonMark, with tables) parses it,
and each block becomes a paragraph of plain text.

* the lines of a paragraph, a list item or a block quote are one paragraph, however the file
  wraps them ("> **Warning:** Turn off … Do not connect\\n> the filter …" is one paragraph
  of two sentences, without its ">" and "**");
* emphasis, code and link markup is dropped, the link's text and an image's description kept
  (a paragraph of linked images alone, as a README's badges, is left out; one linked figure
  keeps its description);
* an ordered list's item keeps its number, a bullet list's item loses its bullet;
* a heading is a paragraph marked as one (``HEADING_MARK``), the first one the title;
* a table row is a paragraph with each value beside its column's header, as a CSV row is
  ("Cartridge: Standard carbon; Part number: AP-C300; Price: $39.");
* a code block keeps its lines; raw HTML keeps its text, without the tags;
* YAML front matter ("---" … "---" at the top) is not text; its ``title:`` is the title when
  no heading gives one.
"""

from __future__ import annotations

import re
from typing import Any

from index.cleaning import HEADING_MARK
from index.formats import table_row

_BADGE = re.compile(r"badge|shields\.io|\.svg(?:$|\?)", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")  # (not "[^>]*": "<<<<…" would take quadratic time)
#: YAML front matter: "---" on the first line, then lines up to the next "---".
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<body>(?:.*\n){0,100}?)(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_FRONT_TITLE = re.compile(r"^title:[ \t]*(?P<title>.+?)[ \t]*$", re.MULTILINE)


def markdown_paragraphs(text: str) -> tuple[str, list[str]]:
    """The title (the first heading, "" if none) and the paragraphs of Markdown ``text``."""
    from markdown_it import MarkdownIt  # only when a Markdown file is read

    title = fallback = ""
    front = _FRONT_MATTER.match(text)
    if front:  # metadata, not text; its title is the document's if no heading gives one
        found = _FRONT_TITLE.search(front["body"])
        fallback = found["title"].strip("\"' ") if found else ""
        text = text[front.end() :]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[str] = []
    header: list[str] = []
    row: list[str] = []
    rows = 0  # body rows of the current table
    for i, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            line = _inline(token)
            opener = tokens[i - 1].type if i else ""
            if opener == "heading_open":
                title = title or line
                out.append(HEADING_MARK + line)
            elif opener in ("th_open", "td_open"):
                row.append(line)
            else:
                out.append(_numbered(tokens, i, line))
        elif kind == "tr_close":
            if row and not header and tokens[i - 1].type == "th_close":
                header = row
            elif row:
                out.append(table_row(header, row))
                rows += 1
            row = []
        elif kind == "table_close":
            if header and not rows:  # a table of its header alone
                out.append(table_row([], header))
            header, rows = [], 0
        elif kind in ("fence", "code_block"):
            out.extend(token.content.splitlines())
        elif kind == "html_block":
            out.extend(_TAG.sub(" ", token.content).splitlines())
    return title or fallback, out


def _numbered(tokens: list[Any], i: int, line: str) -> str:
    """An ordered list's item keeps its number ("2. Screw the feed adapter…"): steps are
    asked about by it. The sentence splitter leaves the number out of the sentence."""
    item = tokens[i - 2] if i >= 2 and tokens[i - 1].type == "paragraph_open" else None
    if item is not None and item.type == "list_item_open" and item.markup in (".", ")"):
        return f"{item.info}{item.markup} {line}"
    return line


def _inline(token: Any) -> str:
    """The text of an inline run: words, code and image descriptions; line breaks as spaces.
    A run of linked images alone (a README's badges, "[![Build](…)](…) [![PyPI](…)](…)")
    says nothing: ""."""
    children = token.children or []
    if _badges_alone(children):
        return ""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)  # its description (alt text)
        elif child.type == "html_inline":
            parts.append(" ")
    return " ".join("".join(parts).split())


def _badges_alone(children: list[Any]) -> bool:
    """Is an inline run only linked images (and spaces), two or more, or one whose picture is
    a badge's ("…/badge.svg", shields.io)? One linked figure ("[![Architecture
    diagram](arch.png)](arch.png)") keeps its description."""
    depth, images, badge = 0, 0, False
    for child in children:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        elif child.type == "image":
            if not depth:
                return False
            images += 1
            badge = badge or bool(_BADGE.search(str(child.attrGet("src") or "")))
        elif child.type in ("text", "code_inline") and child.content.strip():
            return False
    return images > 1 or badge
