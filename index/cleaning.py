"""Cleaning of web captures: page furniture never becomes quotable text.

A capture of a web page carries the page's navigation, share buttons and footer ("Visit Us",
"Follow Me", "You may also like...", "Leave a Reply"...). These lines are recognised by what
they are — short lines made of well-known page-furniture phrases — not by their position, so
the article's own short lines (its title, the author's name) survive.

Hard-wrapped text is joined back into its paragraphs (``unwrap_lines``), and a printed
document's running header and footer are left out (``without_running_lines``).

One module (about 310 lines): the line-level cleaning the readers run before a document's
paragraphs are made, each step a function of the lines.
"""

from __future__ import annotations

import re
import unicodedata

# Phrases that make up page furniture. A line is dropped when, once normalised, it *is* one of
# these, or starts with one and stays short (e.g. "Your email address will not be published.
# Required fields are marked *").
_FURNITURE = (
    "visit us",
    "follow me",
    "follow us",
    "follow us on",
    "author profile",
    "about the author",
    "you may also like",
    "you might also like",
    "related posts",
    "related articles",
    "related stories",
    "related",
    "read more",
    "read next",
    "more stories",
    "recommended",
    "leave a reply",
    "leave a comment",
    "post a comment",
    "cancel reply",
    "your email address will not be published",
    "required fields are marked",
    "share this",
    "share this article",
    "share on facebook",
    "share on twitter",
    "share",
    "tweet",
    "click to share",
    "like this",
    "like this:",
    "loading",
    "subscribe",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "skip to content",
    "skip to main content",
    "main menu",
    "menu",
    "search",
    "home",
    "previous post",
    "next post",
    "previous article",
    "next article",
    "all rights reserved",
    "copyright",
    "privacy policy",
    "terms of use",
    "cookie policy",
    "we use cookies",
    "advertisement",
    "sponsored",
    "comments",
    "no comments",
    "print",
    "email",
)
_PREFIX_ONLY_MAX_CHARS = 160
#: Furniture phrases that also open a policy's own sentences ("We use cookies to keep you
#: signed in."): a line they open is furniture only with a banner's or a form's words.
_ALSO_SENTENCES = frozenset({"we use cookies", "your email address will not be published"})
_BANNER = re.compile(
    r"\b(?:accept|agree|consent|continu\w*|by using|got it|learn more|required fields)\b"
)
_NON_WORD = re.compile(r"[^\w\s:]+")
_SPACES = re.compile(r"\s+")


def normalise_line(line: str) -> str:
    """Lower-case, strip punctuation, ellipses and symbols, collapse spaces."""
    text = unicodedata.normalize("NFKC", line).casefold()
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" :")


def is_furniture(line: str) -> bool:
    """True for a navigation, share or footer line of a web page."""
    norm = normalise_line(line)
    if not norm:
        return bool(line.strip())  # lines of symbols only ("***", "|", "»")
    if norm in _FURNITURE:
        return True
    if len(line.strip()) <= _PREFIX_ONLY_MAX_CHARS:
        return any(
            norm.startswith(phrase + " ")
            and len(phrase.split()) >= 3
            and (phrase not in _ALSO_SENTENCES or bool(_BANNER.search(norm)))
            for phrase in _FURNITURE
        )
    return False


#: A reader that knows which paragraphs are headings (a Word or OpenDocument heading style,
#: an EPUB's <h1>-<h6>, a Markdown #) puts this before each (a private-use character, which
#: no text holds and no cleaning removes); ``index.documents`` takes it out again and keeps
#: where the headings are (``Document.headings``).
HEADING_MARK = "\ue000"


#: A paragraph a reader puts where a new page begins (the PDF reader; a form feed in text).
PAGE_BREAK = "\f"
_MAX_TITLE_CHARS = 200


def first_line_title(paragraphs: list[str]) -> str:
    """The first paragraph as the title, if it is short enough to be one."""
    if paragraphs and len(paragraphs[0]) <= _MAX_TITLE_CHARS:
        return paragraphs[0]
    return ""


def clean_lines(lines: list[str]) -> list[str]:
    """Drop page furniture and immediate repeats of a line (captures often print a name twice)."""
    kept: list[str] = []
    for raw in lines:
        line = _SPACES.sub(" ", raw).strip()
        if not line or is_furniture(line):
            continue
        if kept and kept[-1] == line:
            continue
        kept.append(line)
    return kept


# -- hard-wrapped text ---------------------------------------------------------------------------

_WRAP_MIN_LINES = 4  # lines that go on into another: two short wrapped paragraphs
_WRAP_MAX_WIDTH = 100  # wider lines are paragraphs of their own (soft-wrapped text)
_WRAP_LONG = 0.75  # a line this close to the width was broken by the wrapping
_SENTENCE_END = re.compile(r"[.!?:;…\"”’)\]]\s*$")
#: (a "-" before a digit is a minus sign: "-9.8 to -5.0)" goes on a wrapped sentence)
_BLOCK_START = re.compile(r"^\s*(?:[*+•#>|`=]|-(?!\d)|\d{1,3}[.)]\s|[A-Za-z][.)]\s)")
#: columns of a plain-text table: text, four spaces or a tab, text
_COLUMNS = re.compile(r"\S(?: {4,}|\t)\S")
_HYPHENATED = re.compile(r"[^\W\d_]+-[^\W\d_]+")
_WORD_RUN = re.compile(r"[^\W\d_]+")
_LAST_WORD = re.compile(r"([^\W\d_]+)-$")
_FIRST_WORD = re.compile(r"^([^\W\d_]+)")
#: a word this common (Zipf frequency, ``wordfreq``) is one word, its hyphen a line break's
_JOINED_ZIPF = 3.0
_PART_ZIPF = 2.0


def unwrap_lines(lines: list[str], width: int | None = None) -> list[str]:
    """Join the lines of hard-wrapped text (e-mails, plain-text papers and books broken at
    about 72-80 columns) back into their paragraphs, so that every line is not a paragraph of
    its own and quotes span whole paragraphs. Text whose lines are not of one wrapping width
    is returned as it is.

    A text is wrapped when most lines that continue into another line are prose close to one
    width (at most ``_WRAP_MAX_WIDTH``). There a line is joined to the next when it comes
    close to the width, or when it ends mid-sentence and the next goes on in lower case;
    never into a blank line, a list item, a heading or a quote line. A word hyphenated across
    the break is joined without its hyphen, a compound ("between-group") with it
    (``_keeps_hyphen``). ``width``: the wrapping width found over the whole text
    (``wrap_width``), for a page of it; by default the lines' own."""
    width = wrap_width(lines) if width is None else width
    if not width:
        return lines
    out: list[str] = []
    previous = ""  # the last line as it was, before any joining
    spelt: tuple[set[str], set[str]] | None = None  # the text's hyphenated and other words
    for raw in lines:
        line = raw.strip()
        if previous and line and _joins(previous, line, width):
            joined = out[-1].rstrip()
            if joined.endswith("-") and joined[-2:-1].isalpha() and line[:1].islower():
                if spelt is None:
                    spelt = _spellings(lines)
                keep = _keeps_hyphen(joined, line, spelt)
                out[-1] = joined + line if keep else joined[:-1] + line
            else:
                out[-1] = joined + " " + line
        else:
            out.append(raw.rstrip())
        previous = line
    return out


def _spellings(lines: list[str]) -> tuple[set[str], set[str]]:
    """The hyphenated words of the text, and its other words, as written."""
    text = "\n".join(lines)
    return set(_HYPHENATED.findall(text)), set(_WORD_RUN.findall(text))


def _keeps_hyphen(before: str, after: str, spelt: tuple[set[str], set[str]]) -> bool:
    """Is the hyphen at the end of ``before`` a compound's ("between-" / "group difference"),
    not one that only breaks a word ("parti-" / "cipant")? As the text spells the word
    elsewhere (``spelt``), else when the two halves are words and together are not a common
    one."""
    left, right = _LAST_WORD.search(before[-64:]), _FIRST_WORD.match(after[:64])
    if left is None or right is None:
        return False
    a, b = left[1], right[1]
    if f"{a}-{b}" in spelt[0]:
        return True
    if f"{a}{b}" in spelt[1]:
        return False
    from wordfreq import zipf_frequency  # only for text broken at a hyphen

    if zipf_frequency(a + b, "en") >= _JOINED_ZIPF:
        return False
    return min(zipf_frequency(a, "en"), zipf_frequency(b, "en")) >= _PART_ZIPF


def _joins(previous: str, line: str, width: int) -> bool:
    if _BLOCK_START.match(line) or previous.startswith("#"):
        return False
    if _COLUMNS.search(previous) or _COLUMNS.search(line):
        return False  # a table's row: its columns apart by runs of spaces
    if len(previous) >= _WRAP_LONG * width:
        return True  # broken by the wrapping
    return not _SENTENCE_END.search(previous) and line[:1].islower()


def wrap_width(lines: list[str]) -> int:
    """The wrapping width of hard-wrapped text, or 0 for text that is not wrapped."""
    # (a table's rows, columns apart by runs of spaces, are no wrapped prose: left out)
    lengths = [0 if _COLUMNS.search(line) else len(line.rstrip()) for line in lines]
    continued = [lengths[i] for i in range(len(lines) - 1) if lengths[i] and lines[i + 1].strip()]
    if len(continued) < _WRAP_MIN_LINES:
        return 0
    ordered = sorted(continued)
    width = ordered[int(0.9 * (len(ordered) - 1))]
    if width > _WRAP_MAX_WIDTH or width < 30:
        return 0
    near = [
        lines[i]
        for i in range(len(lines) - 1)
        if lengths[i] >= _WRAP_LONG * width and lines[i + 1].strip()
    ]
    prose = sum(len(line.split()) >= 6 for line in near)
    # a list of sentences, one a line, is not wrapped prose: there most lines end a sentence
    ended = sum(bool(_SENTENCE_END.search(line.rstrip())) for line in near)
    if ended > 0.5 * len(near):
        return 0
    return width if len(near) >= 0.6 * len(continued) and prose >= 0.8 * len(near) else 0


# -- page furniture ------------------------------------------------------------------------------

#: A page's running header or footer is among its first or last lines ...
_EDGE_LINES = 2
#: ... and recurs there, its numbers aside, on at least half the pages of a document of three
#: or more ("Page 3 of 6 - Internal use only", "Northgate Analytics Ltd - Employee Handbook").
_RUNNING_MIN_PAGES = 3
_DIGITS = re.compile(r"\d+")


def _running_key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split())).casefold()


def _numbers_page(on: dict[int, list[int]]) -> bool:
    """Are a repeated line's numbers (by page) the same on every page but one of them, which
    counts the pages ("Page 3 of 6", "Annual Report 2023 Page 5")? A table's total at the foot
    of each region's page ("Total households helped 412") is text."""
    if len({len(numbers) for numbers in on.values()}) != 1:
        return False
    columns = list(zip(*on.values(), strict=True))
    varying = [c for c in columns if len(set(c)) > 1]
    if not varying:
        return True
    return len(varying) == 1 and len({n - p for n, p in zip(varying[0], on, strict=True)}) == 1


def without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """The pages' lines without their running headers and footers: a line among a page's
    first or last ``_EDGE_LINES`` (not blank) that, its numbers aside, recurs so on at least
    half the pages (``_RUNNING_MIN_PAGES`` or more), its numbers the same on every page but a
    page number (``_numbers_page``). A line of the text that happens to open two pages
    stays."""
    if len(pages) < _RUNNING_MIN_PAGES:
        return pages

    def edges(page: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(page) if line.strip()]
        return sorted(set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:]))

    seen: dict[str, dict[int, list[int]]] = {}  # key -> page -> the line's numbers
    for number, page in enumerate(pages):
        for i in edges(page):
            numbers = [int(d) for d in _DIGITS.findall(page[i])]
            seen.setdefault(_running_key(page[i]), {}).setdefault(number, numbers)
    least = max(_RUNNING_MIN_PAGES, (len(pages) + 1) // 2)
    running = {key for key, on in seen.items() if len(on) >= least and _numbers_page(on)}
    if not running:
        return pages
    out: list[list[str]] = []
    for page in pages:
        drop = {i for i in edges(page) if _running_key(page[i]) in running}
        out.append([line for i, line in enumerate(page) if i not in drop])
    return out
