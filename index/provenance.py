"""Questions about where a text comes from, answered by the sentences that say so.

"Who wrote the article?" shares no word with "I'm Vasyl Kolomiiets, a seasoned tech
journalist…" and "By Jane Doe" has almost no meaning to embed: the evidence of an ordinary
question is weak for them although the document answers. So a question about the text's
origin is recognised by its form, and answered by the sentence of that kind:

* **authorship** ("Who wrote the article?", "Who is the author?"): a byline — "By Jane Doe",
  "Written by …", "Author: …" (web pages get one from their metadata: ``index.documents``) or
  a writer's own profile, "I'm Jane Doe, a … journalist";
* **source** ("Which publication first reported this?", "Who reported the imports?"): the best
  sentence is an attribution — "as reported by", "according to" — that shares a term with the
  question;
* **title** ("What is the title of the article?", "What's the headline?"), in an index of one
  document: its first line, when that is a title (a short line without closing punctuation).

In another language, the question put into the documents' words (``index.translation``: "Кто
автор статьи?" -> "who author articles") asks about authorship or the title when those words
name the text and its author or title, and little else (``asks_about_origin_in_words``).

Nothing is fitted: these are forms and words of English. Any other question is left to the
scorer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from index.lexical import WORD, is_stopword
from index.text_features import is_heading

if TYPE_CHECKING:
    from index.retrieval import Ranked

#: The text itself named with its noun ("the article", "this news story"); not "the Harry
#: Potter story": words of its own may name a story the text tells.
_THE_TEXT_ALONE = (
    r"(?:the|this)\s+(?:news\s+)?"
    r"(?:article|story|post|piece|report|text|page|document|blog|essay|column|news)"
)
#: ... or as "it", "this", "that".
_THE_TEXT = rf"(?:it|this|that|{_THE_TEXT_ALONE})"
_AUTHORSHIP = re.compile(
    rf"^\W*who\s+(?:wrote|authored|penned|has written|is writing)\s+{_THE_TEXT}\W*$|"
    r"^\W*(?:who\s+is|who's|who\s+was)\s+(?:the|its|this)\s+"
    rf"(?:author|writer|journalist|reporter)(?:\s+of\s+{_THE_TEXT})?\W*$|"
    rf"^\W*by\s+whom\s+(?:was|is)\s+{_THE_TEXT}\s+written\W*$",
    re.IGNORECASE,
)
#: When the text was published: named by its noun, or "it" only with "published" ("When was
#: the Harry Potter story written?", a follow-up's "When was it written?" ask what it tells).
_DATE = re.compile(
    rf"^\W*when\s+(?:was|is)\s+{_THE_TEXT_ALONE}\s+(?:published|written|posted|dated|updated)\W*$|"
    r"^\W*when\s+(?:was|is)\s+(?:it|this)\s+(?:published|posted|updated)\W*$|"
    rf"^\W*(?:what|which)\s+(?:is|was)\s+the\s+(?:publication\s+)?date\s+of\s+{_THE_TEXT_ALONE}\W*$|"
    rf"^\W*when\s+did\s+{_THE_TEXT_ALONE}\s+(?:come\s+out|appear)\W*$",
    re.IGNORECASE,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
#: A date line under a headline, a short line of its own that holds a date: "Published
#: 2026-10-14", "Updated: 3 March 2025", "Posted on May 2, 2024" (not "Posted 5 letters to
#: Santa.", "Updated 3 times a day.").
_DATELINE = re.compile(
    r"^\s*(?:published|posted|updated|last\s+updated|dated?)(?:\s+on)?:?\s+(?=[^\n]{0,40}$)"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    r"(?:[,\s]+\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?)?\s*$",
    re.IGNORECASE,
)
#: A news dateline opening the first sentence: "BERLIN, 3 March 2026 — …", "PARIS, May 2,
#: 2024 (Reuters) - …".
_NEWS_DATELINE = re.compile(
    r"^\s*[A-Z][A-Z.'’-]+(?:\s[A-Z][A-Z.'’-]+){0,3},\s+"
    rf"(?i:\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}})"
    r"\s*(?:\([^)]{1,40}\)\s*)?[—–-]"
)
_SOURCE = re.compile(
    r"^\W*(?:who|which\s+\w+)\s+(?:first\s+)?(?:reported|reports|published|broke)\b|"
    rf"^\W*what\s+(?:is|was)\s+the\s+source(?:\s+of\s+{_THE_TEXT})?\W*$|"
    r"\baccording\s+to\s+whom\b",
    re.IGNORECASE,
)
#: A person's name: capitalised words, with the particles of many names ("Jane van Doe")
_PARTICLE = r"(?:van|von|de|da|del|der|den|du|la|le|bin|ibn|al)\s+"
_TITLE = re.compile(
    rf"^\W*what(?:'s|’s|\s+is|\s+was)\s+(?:the|its)\s+(?:title|headline)(?:\s+of\s+{_THE_TEXT})?\W*$|"
    rf"^\W*what\s+is\s+{_THE_TEXT}\s+(?:called|titled)\W*$",
    re.IGNORECASE,
)
_NAME = rf"[A-Z][\w'’.-]+(?:\s+(?:{_PARTICLE})?[A-Z][\w'’.-]+){{0,3}}"
_ROLE = (
    r"(?:Correspondent|Editor|Writer|Reporter|Contributor|Columnist|Journalist|Critic|"
    r"Analyst|Staff|Producer|Author)s?"
)
_BYLINE = re.compile(
    # "By Katrin Albers, Transport Correspondent", "By Ana Lima and Jo Park"
    rf"^\s*(?:[Bb]y|[Ww]ritten by|[Pp]osted by|[Aa]uthor:?)\s+{_NAME}"
    rf"(?:\s+and\s+{_NAME})?(?:\s*,\s*(?:[A-Z][\w'’-]+\s+){{0,3}}{_ROLE})?\s*$|"
    rf"^\s*(?:I'm|I’m|I am|My name is)\s+{_NAME}\b[^.!?]{{0,120}}\b"
    r"(?:journalist|writer|reporter|editor|author|correspondent|columnist|blogger|contributor)s?\b"
)
_ATTRIBUTION = re.compile(
    r"\b(?:as reported by|reported by|according to|as reported|first reported|cited by|citing)\b",
    re.IGNORECASE,
)
#: The words of a question put into English words (``index.translation``) that name the text,
#: and its author or title.
_TEXT_WORDS = frozenset(
    "article articles story stories text texts post posts piece report page document blog "
    "essay column news".split()
)
_KIND_WORDS = {
    "author": frozenset(
        "author authors writer writers wrote written write writes journalist reporter".split()
    ),
    "title": frozenset("title titles headline headlines header heading".split()),
}
#: Words that name the text or its origin.
_NAMING_WORDS = _TEXT_WORDS.union(*_KIND_WORDS.values())
#: At most this many other content words ("who hat den articles written": "hat", "den").
_OTHER_WORDS = 2
#: How far down the ranked candidates a byline is looked for.
BYLINE_DEPTH = 10


def asks_about_origin(question: str) -> str | None:
    """ "author", "date", "source", "title" or None."""
    if _AUTHORSHIP.search(question):
        return "author"
    if _DATE.search(question):
        return "date"
    if _SOURCE.search(question):
        return "source"
    if _TITLE.search(question):
        return "title"
    return None


def asks_about_origin_in_words(words: str, alike: Sequence[str] = ()) -> str | None:
    """ "author", "title" or None, for a question in another language put into English words:
    "who author articles" and "whose written el article" ask for the author, "what header le
    articles" for the title; "who author law" names no text, and a question with more than
    ``_OTHER_WORDS`` other content words asks something else. ``alike``: its words left out
    of ``words`` for being spelt like English ones; those that name the text or its origin
    count (French "article"), the others ("est", "de") do not."""
    found = [w.casefold() for w in WORD.findall(words)]
    found += [w.casefold() for w in alike if w.casefold() in _NAMING_WORDS]
    if not _TEXT_WORDS.intersection(found):
        return None
    for kind, marks in _KIND_WORDS.items():
        if marks.intersection(found):
            named = _TEXT_WORDS | marks
            others = [w for w in found if w not in named and not is_stopword(w)]
            return kind if len(others) <= _OTHER_WORDS else None
    return None


def is_byline(sentence: str) -> bool:
    return bool(_BYLINE.search(sentence))


def _first_line(ranked: Ranked, texts: Sequence[str], found: Callable[[str], bool]) -> int | None:
    """The first of the best candidates that is such a line (a byline, a date line)."""
    return next((int(r) for r in ranked.rows[:BYLINE_DEPTH] if found(texts[int(r)])), None)


def origin_answer(
    question: str,
    ranked: Ranked,
    texts: Sequence[str],
    *,
    documents: int,
    kind: str | None = None,
) -> int | None:
    """The sentence row that answers a question about the text's origin, or None (not such
    a question, or no such sentence: among the best candidates for a byline, date line or
    attribution;
    the document's first line for a title, in an index of ``documents`` == 1). ``kind`` is what
    the question asks when the caller knows it (``asks_about_origin_in_words``)."""
    kind = kind or asks_about_origin(question)
    if kind == "author":
        return _first_line(ranked, texts, is_byline)
    if kind == "date":
        return _first_line(
            ranked, texts, lambda line: bool(_DATELINE.search(line) or _NEWS_DATELINE.match(line))
        )
    if kind == "source" and len(ranked.rows):
        best = texts[int(ranked.rows[0])]
        if _ATTRIBUTION.search(best) and ranked.features.overlap[0] > 0:
            return int(ranked.rows[0])
    elif kind == "title" and documents == 1 and len(texts) and is_heading(texts[0]):
        return 0
    return None
