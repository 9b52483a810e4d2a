"""Sentence-aware chunking with overlap. Every span is an offset pair into the cleaned text.

Sentences are found by a small rule-based splitter (terminal punctuation followed by a capital
in any script, a letter of a script without capitals — Arabic, Hebrew, Devanagari, Chinese —,
a digit or a quote, with common abbreviations, initials and German ordinal dates — "am 3.
Oktober" — protected) that keeps exact offsets; paragraph breaks always end a sentence.
Chinese and Japanese sentences end at their full-width marks ("。", "！", "？") with no space
after them. Text from the web, reviews and extracted pages often
loses the space after a full stop ("the most common tests.If only a few drops..."): such a
glued boundary ends a sentence too when a word ends it and a word that opens sentences follows
("The", "If", "However": ``_OPENERS``), but not inside a name of code ("fmt.Println",
"models.Model", "time.Now"), "St.Petersburg", "e.g.The" or "example.com".

Chunks are runs of whole sentences packed up to ``chunk_size`` characters; consecutive chunks
share their last sentence, and more trailing sentences while they fit in ``chunk_overlap``
characters. A sentence longer than ``chunk_size`` is cut at word boundaries.

One module (about 330 lines): the splitter's rules read each other's findings (a boundary is
checked against abbreviations, ordinals and glued words), and chunks are cut from its spans.
"""

from __future__ import annotations

import hashlib
import re

from index.config import ChunkingSettings
from index.types import Chunk, Document, Span

#: Bump when the splitter below cuts sentences otherwise: an index records it with its
#: chunking, and an update re-splits every document (2, 3: boundaries without a space; 4:
#: capitals of every script, scripts without capitals, full-width and ASCII marks in Chinese,
#: German ordinals, a list item's marker left out of its sentence; 5: "3. Replacing the
#: cartridge", a numbered item or heading, is no longer two sentences; "p.m.",
#: "etc." and "Inc." before "It", "The", "We"… end a sentence; 6: a quoted question and who
#: asked it, '"Why…?" Ilse asked.', are one sentence; 7: only when the tag ends there or
#: goes on after a comma: '"Resign now!" Police said 200 people came.' is two).
SPLITTER_VERSION = 7

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "no",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "al",
        "fig",
        "figs",
        "vol",
        "eds",
        "ed",
        "approx",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "gen",
        "gov",
        "sen",
        "rep",
        "rev",
        "sgt",
        "capt",
        "col",
        "lt",
        "cmdr",
        "adm",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "a.m",
        "p.m",
        "ca",
        "cf",
    ]
)
# Abbreviations that often end a sentence, and the words that then open the next one (never
# a name: "5 p.m. Eastern time", "Acme Inc. Paris" stay one sentence).
_MAY_END_SENTENCE = frozenset(["a.m", "p.m", "etc", "inc", "ltd", "co", "corp"])
_PLAIN_OPENERS = frozenset(
    "it its the this that these those there we they he she i you our their his her my your".split()
)
# Abbreviations only when a number follows ("No. 5", "Fig. 2", "pp. 10").
_NUMBER_ABBREVIATIONS = frozenset("no nos vol fig figs pp p art ch sec op".split())
# A candidate boundary: terminal punctuation (the Arabic question mark, the Devanagari
# danda too), optional closing quotes/brackets ("»" and German's closing "“" too), whitespace.
_BOUNDARY = re.compile(r"[.!?…؟।॥]+[\"'”’“»)\]]*\s+")
#: A question or exclamation inside a quotation ('…?" ', '…!” ') ...
_QUOTED_ASK = re.compile(r"[!?…]+[\"'”’»]+\s+$")
#: ... followed by who said it: "Ilse asked.", "Mr. Brandauer replied, …"
_SPEECH_TAG = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Dr)\.\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?\s+"
    r"(?:said|says|asked|asks|replied|answered|shouted|whispered|cried|called|added|"
    r"continued|wondered|muttered|explained|insisted|exclaimed|demanded|protested)"
    r"(?=[.,;:!?]|\s*$)"  # ('"Resign now!" Police said 200 people came.': two sentences)
)
# What may open the next sentence before its first letter.
_OPENING_MARKS = frozenset("\"'“‘„«(¿¡[")
# Scripts whose sentences end with the danda ("।"): a full stop before them abbreviates.
_DANDA_SCRIPT = re.compile(r"[\u0900-\u09ff\u0a00-\u0a7f]")
# A list item's marker before its paragraph's first sentence ("- ", "* ", "• "): left out
# of the sentence.
_LIST_MARKER = re.compile(r"\s*[-*•·‣◦▪]\s+(?=\S)")
# The number of a step or a section ("2. ", "3) ", "2.1. "; not "12.5 percent"): no sentence
# of its own, but part of the one it opens ("3. Replacing the cartridge", "2. Oktober 2024 war
# ein Dienstag.", "1. FC Köln gewann.").
_NUMBER_MARKER = re.compile(r"\s*\d{1,3}(?:\.\d{1,3})*[.)]\s+(?=\S)")
# Chinese and Japanese sentence ends: a full-width mark and its closing quotes or brackets,
# no space needed ...
_FULL_WIDTH_END = re.compile(r"[。！？｡]+[」』”’）)\]】〉》\"']*\s*")
# ... and an ASCII "!" or "?" between two Chinese or Japanese letters ("你好吗?我很好").
_CJK_ASCII_END = re.compile(
    r"(?<=[\u3040-\u30ff\u4e00-\u9fff])[!?]+(?=[\u3040-\u30ff\u4e00-\u9fff])"
)
# ... unless a closing quote is followed by a particle that goes on ("「行こう！」と彼は言った").
_HIRAGANA = re.compile(r"[\u3040-\u309f]")
# A German ordinal date or century: "am 3. Oktober", "im 19. Jahrhundert" (the number and its
# dot are one word; "in 2008. The" is a sentence end: years are not ordinals here). The
# months spelt as in English ("He was 21. September brought rain") only after a German word
# ("am 21. September", "bis 3. April").
_ORDINAL_NUMBER = re.compile(r"(?<!\S)\d{1,2}$")
_GERMAN_ONLY = frozenset(
    """januar jänner februar märz mai juni juli oktober dezember jahrhundert jahrhunderts
    jahrtausend jahrtausends jän mrz okt dez""".split()
)
_AS_IN_ENGLISH = frozenset(
    "april august september november jan feb apr jun jul aug sep sept nov".split()
)
# The word before the number: after an article or a preposition that English lacks, any
# noun ("den 3. Platz", "der 2. Weltkrieg", "zum 5. Mal"); after a German word, a month.
_WORD_BEFORE_NUMBER = re.compile(r"(?:^|\s)(\w+)\s+\d{1,2}$")
_GERMAN_ARTICLES = frozenset("den dem des der zum zur vom beim im".split())
_GERMAN_WORDS = frozenset("am im vom zum bis seit ab den dem des der und oder zwischen".split())
_WORD = re.compile(r"\w+")
_PARAGRAPH = re.compile(r"[^\n]+")
# Words that open sentences and are not names in code ("Now", "New", "Next", "Model" are: a
# glued "time.Now" is an identifier). Of the 2,943 glued boundaries in MLQA's paragraphs and
# SubjQA's reviews, the words after 70 % of them are here (The 620, In 120, This 97...).
_OPENERS = frozenset(
    """a about after also although an and another anyway as at because before both but by
    despite due during each even finally first for from furthermore he her here his however i
    if in instead it its later many maybe meanwhile moreover most my no once one or our
    overall second several she since so some still such than that the their then there
    therefore these they this those though thus to unfortunately we what when where whether
    which while who why with without yet you your""".split()
)
# A boundary without the space: terminal punctuation (and closing quotes or brackets) glued to
# a capitalised word ("tests.If only", "(2010 census).From 1921", "great!The"), after a
# lower-case word of two letters or more, a number, or a closing bracket or quote.
_GLUED = re.compile(
    r"(?:(?<=[a-z]{2})|(?<=\d)|(?<=[)\]\"”’]))[.!?…]+[\"”’)\]]*"
    r"(?=(?P<next>[A-Z][a-z]*)(?:[’'][a-z]+)?(?:[\s,;:!?\"”’)\]]|\.(?:\s|$)|$))"
)
# ... but not inside a token that is a path, an address or a dotted name ("www.site.Com").
_GLUED_TOKEN_START = re.compile(r"[\s(\[\"“‘]")
#: A token longer than this before a glued full stop is not a word (code, a path, a hash).
_LONGEST_WORD = 40


def chunking_record(settings: ChunkingSettings) -> dict[str, int]:
    """How an index's documents were cut, as its manifest records it."""
    return {**settings.model_dump(), "splitter": SPLITTER_VERSION}


def split_sentences(text: str) -> list[Span]:
    """Sentences of ``text`` with exact offsets; each line (paragraph) is split on its own."""
    spans: list[Span] = []
    for p_index, para in enumerate(_PARAGRAPH.finditer(text)):
        p_start, p_text = para.start(), para.group()
        cursor = 0
        for end in _boundaries(p_text):
            _add(spans, p_text, p_start, cursor, end, p_index)
            cursor = end
        _add(spans, p_text, p_start, cursor, len(p_text), p_index)
    return spans


def _boundaries(text: str) -> list[int]:
    """Where the paragraph's sentences end (offsets after their punctuation and spaces)."""
    ends = []
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= len(text) or not _starts_sentence(text, end):
            continue
        if match.start() < 12 and (number := _NUMBER_MARKER.match(text)) and number.end() == end:
            continue  # "3. Replacing the cartridge": the number of a step or a section
        if _QUOTED_ASK.match(match.group()) and _SPEECH_TAG.match(text, end):
            continue  # '"Why was it never used?" Ilse asked.': one sentence, as read
        if text[match.start()] == "." and _DANDA_SCRIPT.match(_first_letter(text, end)):
            continue  # "डॉ. आनंदीबाई": there a full stop abbreviates; the danda ends sentences
        if _is_abbreviation(text, match.start()) or _is_ordinal(text, match.start(), end):
            continue
        ends.append(end)
    for match in _FULL_WIDTH_END.finditer(text):
        end = match.end()
        closed = match.group().rstrip() != match.group().rstrip("」』”’）)]】〉》\"'")
        if end < len(text) and not (closed and _HIRAGANA.match(text, end)):
            ends.append(end)
    ends.extend(m.end() for m in _CJK_ASCII_END.finditer(text))
    ends.extend(
        m.end()
        for m in _GLUED.finditer(text)
        if m["next"].casefold() in _OPENERS and _glued_ends_sentence(text, m.start())
    )
    return sorted(set(ends))


def _starts_sentence(text: str, at: int) -> bool:
    """Does what follows a boundary open a sentence: a capital (of any script), a letter of a
    script without capitals, or a digit, after an opening quote or bracket if any?"""
    first = _first_letter(text, at)
    return first.isdigit() or (first.isalpha() and not first.islower())


def _first_letter(text: str, at: int) -> str:
    """The character a boundary's next sentence would open with, after an opening quote or
    bracket if any ("" at the end)."""
    if at < len(text) and text[at] in _OPENING_MARKS:
        at += 1
    return text[at : at + 1]


def _is_ordinal(text: str, dot: int, end: int) -> bool:
    """Is the dot at ``dot`` that of a German ordinal date or century ("3. Oktober")?"""
    # (searches bounded to the few characters around the dot: a long line stays linear)
    if text[dot] != "." or not _ORDINAL_NUMBER.search(text, max(0, dot - 2), dot):
        return False
    word = _WORD.match(text, end, end + 16)
    if word is None:
        return False
    noun = word.group().casefold()
    before = _WORD_BEFORE_NUMBER.search(text, max(0, dot - 12), dot)
    german = before.group(1).casefold() if before else ""
    return (
        noun in _GERMAN_ONLY
        or german in _GERMAN_ARTICLES
        or (noun in _AS_IN_ENGLISH and german in _GERMAN_WORDS)
    )


def _glued_ends_sentence(text: str, punctuation: int) -> bool:
    """Does the word before a glued full stop end a sentence, rather than being part of an
    abbreviation ("e.g.The"), an address, a path or a dotted name?"""
    start, stop = punctuation, max(0, punctuation - _LONGEST_WORD - 1)
    while start > stop and not _GLUED_TOKEN_START.match(text[start - 1]):
        start -= 1
    if start == stop and stop > 0:
        return False  # no word: a token this long is code, a path or a hash
    word = text[start:punctuation].rstrip('"”’)]')
    if any(ch in word for ch in "./\\@_=:#&") or not word:
        return False
    return not _is_abbreviation(word + ".", len(word))


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    if text[dot + 1 : dot + 2] in ('"', "'", "”", "’", ")"):
        return False  # a closing quote or bracket after the dot ends the sentence
    word = text[word_start:dot].lstrip("(\"'“‘").casefold()
    if word in _NUMBER_ABBREVIATIONS:
        return text[dot + 1 :].lstrip()[:1].isdigit()
    if word in _MAY_END_SENTENCE:  # "open until 5 p.m. It is closed on Sundays."
        after = _WORD.match(text[dot + 1 : dot + 16].lstrip())
        if after and after.group()[:1].isupper() and after.group().casefold() in _PLAIN_OPENERS:
            return False
    # Initials ("J. Smith", "U.S."), known abbreviations.
    return (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS


def _add(spans: list[Span], p_text: str, p_start: int, start: int, end: int, p: int) -> None:
    segment = p_text[start:end]
    stripped_left = len(segment) - len(segment.lstrip())
    if start == 0 and (marker := _LIST_MARKER.match(segment)):  # "- Parking costs...": the
        stripped_left = marker.end()  # sentence, its highlight and link start at its word
    stripped_right = len(segment.rstrip())
    if stripped_right > stripped_left:
        spans.append(Span(p_start + start + stripped_left, p_start + start + stripped_right, p))


def _cut_long(span: Span, text: str, limit: int) -> list[Span]:
    """Cut a sentence longer than ``limit`` at word boundaries."""
    pieces: list[Span] = []
    start = span.start
    while span.end - start > limit:
        cut = text.rfind(" ", start + 1, start + limit)
        if cut <= start:
            cut = start + limit
        pieces.append(Span(start, cut, span.paragraph))
        start = cut
        while start < span.end and text[start].isspace():
            start += 1
    if start < span.end:
        pieces.append(Span(start, span.end, span.paragraph))
    return pieces


def sentences_for(doc: Document, max_chars: int) -> list[Span]:
    """The document's sentences, none longer than ``max_chars``."""
    out: list[Span] = []
    for span in split_sentences(doc.text):
        out.extend(_cut_long(span, doc.text, max_chars))
    return out


def chunk_id_for(doc: Document, start: int, end: int) -> str:
    key = f"{doc.content_hash}:{start}:{end}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def chunk_document(
    doc: Document, settings: ChunkingSettings, sentences: list[Span] | None = None
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``chunk_size`` characters, with overlap."""
    spans = sentences if sentences is not None else sentences_for(doc, settings.chunk_size)
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and spans[j].end - spans[i].start <= settings.chunk_size:
            j += 1
        start, end = spans[i].start, spans[j - 1].end
        chunks.append(Chunk(chunk_id_for(doc, start, end), doc.doc_id, start, end))
        if j >= len(spans):
            break
        # Overlap: repeat the last sentence (when the chunk has more than one), and further
        # trailing sentences while they fit in chunk_overlap characters.
        k = j
        if settings.chunk_overlap > 0 and j - 1 > i:
            k = j - 1
            while k - 1 > i and spans[j - 1].end - spans[k - 1].start <= settings.chunk_overlap:
                k -= 1
        i = k
    return chunks
