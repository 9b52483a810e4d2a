"""The text features of candidate sentences (``text_features``): what the question asks for
and whether the sentence holds it (answer type), the question's terms close together and in
order (proximity, phrase), what the sentence says that the question does not (novelty), and
its structure (a heading line, a question, its length). ``index.features`` names them with
the rest of the evidence.

One module (about 320 lines): what a line of text is (a heading, a field, a sentence that
refers back) and the features read from it are the same rules, used by retrieval, quoting
and citations alike.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.lexical import tokenize

FloatArray = npt.NDArray[np.float32]

ANSWER_TYPES = ("time", "quantity", "name", "place")
_TIME_Q = re.compile(
    r"^\W*(when|what (year|date|time|century|decade|month|day|period|age|hours?|days?)|"
    r"(in|during|by|since|until|at|on) (what|which) (year|century|decade|month|period|time|"
    r"day)|how (long ago|late)|since when|until when|by when|"
    r"which (year|century|decade|month|days?|hours?))\b",
    re.I,
)
_QUANTITY_Q = re.compile(
    r"\bhow (many|much|long|far|large|big|old|tall|high|often|fast|deep|wide|heavy)\b|"
    r"\bwhat (percentage|percent|number|proportion|amount|size|population|share|rate)\b",
    re.I,
)
_NAME_Q = re.compile(
    r"^\W*(who|whom|whose|which (person|people|company|companies|organi[sz]ations?|group|"
    r"team|firm|country|countries|operators?|publication|newspaper)|by whom|"
    r"what (company|organi[sz]ation|publication|newspaper|agency|firm|country|name))\b",
    re.I,
)
_PLACE_Q = re.compile(r"^\W*(where|from where|in which (city|country|place|region|state))\b", re.I)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_TIME_S = re.compile(
    rf"\b(1\d{{3}}|20\d{{2}}|\d{{1,2}}(st|nd|rd|th) century|{_MONTHS}|\d0s|"
    r"(mon|tues|wednes|thurs|fri|satur|sun)day|yesterday|today|tomorrow|"
    r"(last|next|this) (year|month|week)|\d+ (years?|months?|days?|weeks?) (ago|later)|"
    # a time of day: "3:30 pm", "9am", "10 p.m.", "at 11:00", "09:00–17:00", "noon" (not a
    # ratio or a verse: "a 1:50 dilution", "John 3:16")
    r"\d{1,2}(?:[:.]\d{2})?\s*[ap]\.?m\b\.?|"
    r"(?:at|from|until|till|by|before|after|to|between|and|opens?|closes?)\s+\d{1,2}:\d{2}|"
    r"\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2}|noon|midday|midnight|o[’']clock)\b",
    re.I,
)
_QUANTITY_S = re.compile(
    # a number, but not one inside a name: "3G", "4K", "MP3", "COVID-19", "F-16"
    r"(?<![^\W\d_])(?<![^\W\d_]-)(?<!\d)\d+(?:[.,]\d+)*(?![^\W\d_](?![^\W\d_]))|"
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|billion|dozen|half|percent|several|few)\b",
    re.I,
)
_CAPITALISED = re.compile(r"(?<=\S\s)[A-Z][\w’'-]+")
_PLACE_S = re.compile(r"\b(?:in|at|from|near|to|of)\s+(?:the\s+)?(?P<instance>[A-Z][\w’'-]+)")
#: For each of ``ANSWER_TYPES``: how a question asks for it, how a sentence holds one (the
#: ``instance`` group, or the whole match).
_TYPES = (
    (_TIME_Q, _TIME_S),
    (_QUANTITY_Q, _QUANTITY_S),
    (_NAME_Q, _CAPITALISED),
    (_PLACE_Q, _PLACE_S),
)
#: A count asked for, and what is not one: a share or a price ("20%", "£30", "10 percent")
_COUNT_Q = re.compile(r"\bhow many\b", re.I)
_PERCENT = re.compile(r"[ \t]?(?:%|per ?cent\b)", re.I)


def _not_a_count(sentence: str, start: int, end: int) -> bool:
    """Is the number at ``sentence[start:end]`` a share or a price ("20%", "£30")?"""
    price = start > 0 and sentence[start - 1] in "£$€¥"
    share = sentence[start:end].casefold() == "percent"
    return price or share or bool(_PERCENT.match(sentence, end))


_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*$")


#: The noun of a question's frame ("What time…?", "In which year…?"): it says what kind of
#: answer is asked for, and is not a word the answer holds ("What time can I get into my
#: room?" is not answered by "Dogs must not be left alone in the room at any time.")
_FRAME_NOUN = re.compile(
    r"^(\W*(?:(?:in|during|by|since|until|at|on)\s+)?(?:what|which)\s+)"
    r"(?:time|year|date|day|month|century|decade)\b\s*"
    # ... when a verb or "of" follows ("What date format…", "What time zone…" name a topic)
    r"(?=(?:is|are|was|were|do|does|did|can|could|will|would|should|must|may|might|has|have|"
    r"had|of)\b)",
    re.I,
)


#: "else" asks for more of the same ("What else?", "Who else was there?"): no word the answer
#: holds ("I think of nothing else" is no answer to it), and not what the last answer said
#: (``index.answering``; "other" is often the same one: "What do other members pay?" after
#: the adult fee, "The adult fee is £180; juniors pay £60.")
ASKS_FOR_MORE = re.compile(r"\belse\b", re.I)


def without_frame(question: str) -> str:
    """The question without the noun of its frame ("What time does it open?" -> "What does
    it open?") and without "else", for its lexical evidence."""
    return ASKS_FOR_MORE.sub(" ", _FRAME_NOUN.sub(r"\1", question, count=1))


def answer_type(question: str) -> int | None:
    """Which ``ANSWER_TYPES`` entry the question asks for, if any."""
    return next((i for i, (asks, _) in enumerate(_TYPES) if asks.search(question)), None)


def _holds_type(
    sentence: str, wanted: int, question_words: set[str], *, counting: bool = False
) -> bool:
    """Does the sentence hold an instance of the type that the question does not itself
    name ("When was Koryolink established?" is not answered by another mention of it)?
    ``counting``: a *how many* question, which a share or a price does not answer ("Problem
    sets: 20%" for "How many problem sets are there?", a trial's syllabus)."""
    holds = _TYPES[wanted][1]
    return any(
        (m.group("instance") if "instance" in holds.groupindex else m.group(0)).casefold()
        not in question_words
        and not (counting and _not_a_count(sentence, m.start(), m.end()))
        for m in holds.finditer(sentence)
    )


#: A third-person pronoun among a sentence's first words, or a demonstrative opening it: the
#: sentence is about something the one before it named.
_PRONOUNS = frozenset("he she it they him his her its their them it's he's she's they're".split())
_SUBJECTS = frozenset("he she it they it's he's she's they're".split())
_DEMONSTRATIVES = frozenset("this these that those such".split())
_REFERENCE_WITHIN = 5  # words
#: A word: letters and digits, with an apostrophe inside ("it's", "l’eau")
WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


def refers_back(sentence: str) -> bool:
    """Does the sentence refer back to the one before it: it opens with a pronoun or a
    demonstrative ("They had three children.", "Its walls…", "This made it the longest…",
    "The latter…"), or its subject is a pronoun among its first words ("Built in 1858, it
    stands 38 metres high.", "In 1841 he went to Glasgow.")? A possessive further on points
    inside its own sentence ("The restaurant and its terrace open at 7am.")."""
    head = sentence[:160].replace("’", "'")
    words = [w.casefold() for w in WORDS.findall(head)[:_REFERENCE_WITHIN]]
    if not words:
        return False
    if words[0] in _DEMONSTRATIVES or words[:2] in (["the", "latter"], ["the", "former"]):
        return True
    if words[0] in _PRONOUNS or any(w in _SUBJECTS for w in words):
        return True
    _, comma, clause = head.partition(",")  # "Built between 1855 and 1858, it has…"
    after = WORDS.findall(clause)[:1] if comma else []
    return bool(after) and after[0].casefold() in _SUBJECTS


def is_heading(sentence: str) -> bool:
    """A short line without closing punctuation: a title, a heading, a name."""
    line = sentence.strip()
    return 0 < len(line) <= 120 and "\n" not in line and not _SENTENCE_END.search(line)


#: "Chair: Renata Kovac (Head of Operations)", "Effective date: 1 March 2026", "Price: €549":
#: a line that gives a field's value. Its label is a capitalised word and at most two small
#: ones; its value holds a digit, a comma, a bracket or an @, or the label is one of people,
#: places and states (``_FIELD_LABELS``). "Conclusion: The road ahead", "Case study: Brno" and
#: "Chapter 3: The flood" head what follows.
_FIELD = re.compile(r"^(?P<label>[^\W\d_]+(?:[ \t][^\W\d_]+){0,2}):[ \t]+(?P<value>\S.*)$")
_FIELD_VALUE = re.compile(r"[\d,(@]")
_FIELD_LABELS = frozenset(
    (
        "chair", "chairperson", "minutes", "author", "authors", "editor", "owner", "contact",
        "present", "attendees", "apologies", "absent", "location", "venue", "status",
        "speaker", "host", "organiser", "organizer", "prepared by", "reviewed by",
        "approved by", "written by", "interviewer", "interviewee", "guest", "presenter",
        "moderator", "reporter", "producer", "narrator",
    )
)  # fmt: skip
_BULLET = re.compile(r"^[-•*–][ \t]")
_BYLINE = re.compile(r"^(?:By|Published|Updated)\s")


#: ... or a table's row that ends with its figure, after at least two words: a figure with
#: thousands, a share or a price ("Hot meals served 21,340", "Total 386 100%", "Re-inspection
#: fee £85"), or
#: a number of three digits or more, not a year, after a word in small letters ("Active
#: volunteers 312", "Surplus food (tonnes) 186"). "Part 2", "Apollo 11", "Annual Report 2023",
#: "Agenda Item 12", "Release Notes 4.2" and "The Top 100" head what follows.
_ROW_FIGURE = re.compile(
    r"^\S+(?:\s+\S+)+\s+(?:[£$€]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[£$€]?\d+(?:\.\d+)?%|"
    r"[£$€]\d+(?:\.\d+)?)$"
    r"|^\S+(?:\s+\S+)*\s+[^\sA-Z]\S*\s+(?!(?:1[5-9]|20)\d\d$)\d{3,}$"
)


def is_field(line: str) -> bool:
    """A "Label: value" line (``_FIELD``), or a table's row ending with its figure."""
    if _ROW_FIGURE.match(line.strip()):
        return True
    found = _FIELD.match(line.strip())
    if found is None:
        return False
    first, *rest = found["label"].split()
    if not (first[0].isupper() and (len(first) == 1 or first[1:].islower())):
        return False
    if not all(word.islower() for word in rest):
        return False
    return bool(_FIELD_VALUE.search(found["value"])) or found["label"].casefold() in _FIELD_LABELS


#: A run-in heading opens its paragraph and ends with a full stop: a name in title case ("The
#: Museum of the River. Housed in a former mill…", "St Aldric's Church.") or a clause's
#: number and a few words ("2.5 Overtime. Employees at grades…", "6.7 Bereavement leave.").
_RUN_IN = re.compile(r"^(?P<number>\d{1,3}(?:\.\d{1,3})*\.?\s+)?(?P<words>[^.!?;:]{1,60})\.$")
_RUN_IN_WORDS = 6
_RUN_IN_NUMBERED_WORDS = 4
#: words that make a few words a sentence ("4.1 Salaries are paid.", "The End Is Near.")
_SAYING = frozenset(
    """is are was were be been being am has have had will would may might must can could
    shall should do does did not no""".split()
)


def is_run_in_heading(sentence: str) -> bool:
    """Is the sentence a run-in heading (``_RUN_IN``), when it opens a paragraph that goes on?
    A sentence ("4.1 Salaries are paid.", "Prices rose sharply.") is not."""
    found = _RUN_IN.match(sentence.strip())
    if found is None:
        return False
    words = found["words"].split()
    if not words or any(w.casefold() in _SAYING for w in words):
        return False
    if found["number"]:
        return len(words) <= _RUN_IN_NUMBERED_WORDS and words[0][:1].isupper()
    long = [w for w in words if len(w) >= 4]
    return (
        len(words) <= _RUN_IN_WORDS
        and words[0][:1].isupper()
        and bool(long)
        and all(w[:1].isupper() for w in long)
    )


def is_section_heading(line: str) -> bool:
    """A heading that opens a section (a quote under it is cited with it): a heading line
    (``is_heading``) that is not a field's value ("Chair: Renata Kovac"), a list's item
    ("- Stainless steel tamper"), a byline ("By Marta Quiroga", "Published 2026-03-04") nor a
    command ("pip install kestrel": a heading's first word is not all in small letters;
    "iPhone 15 Pro" is a heading)."""
    line = line.strip()
    return (
        is_heading(line)
        and not line.split()[0].islower()
        and not is_field(line)
        and not _BULLET.match(line)
        and not _BYLINE.match(line)
    )


@dataclass(frozen=True)
class TextFeatures:
    answer_type: FloatArray
    proximity: FloatArray
    phrase: FloatArray
    novelty: FloatArray
    heading: FloatArray
    is_question: FloatArray
    length: FloatArray


def text_features(
    question: str,
    query_tokens: Sequence[Hashable],
    sentences: Sequence[str],
    sentence_tokens: Sequence[Sequence[Hashable]] | None = None,
) -> TextFeatures:
    """The text features of each candidate sentence for the question. ``sentence_tokens``:
    the sentences' tokens when known (``index.sentence_index.SentenceTokens``, as ids, with
    ``query_tokens`` in the same ids); else they are tokenized here."""
    n = len(sentences)
    out = {name: np.zeros(n, dtype=np.float32) for name in TextFeatures.__dataclass_fields__}
    wanted = answer_type(question)
    counting = bool(_COUNT_Q.search(question))
    question_words = {w.casefold() for w in WORDS.findall(question)}
    if sentence_tokens is not None:  # token ids: the same features, in numpy (2x faster)
        _id_features(list(query_tokens), sentence_tokens, out)  # type: ignore[arg-type]
    else:
        query = set(query_tokens)
        pairs = set(itertools.pairwise(query_tokens))
    for i, sentence in enumerate(sentences):
        if wanted is not None:
            out["answer_type"][i] = _holds_type(sentence, wanted, question_words, counting=counting)
        if sentence_tokens is None:
            tokens: list[Hashable] = list(tokenize(sentence))
            positions = [p for p, t in enumerate(tokens) if t in query]
            matched = {tokens[p] for p in positions}
            if len(matched) >= 2:
                out["proximity"][i] = len(matched) / _shortest_cover(tokens, positions, matched)
            elif matched:
                out["proximity"][i] = 0.5
            if pairs:
                found = pairs & set(itertools.pairwise(tokens))
                out["phrase"][i] = len(found) / len(pairs)
            if tokens:
                out["novelty"][i] = sum(t not in query for t in tokens) / len(tokens)
        out["heading"][i] = is_heading(sentence)
        out["is_question"][i] = sentence.rstrip().rstrip("\"'”’»)").endswith("?")
        out["length"][i] = min(math.log1p(len(sentence)) / math.log1p(600), 1.5)
    return TextFeatures(**out)


def _id_features(
    query_ids: list[int], sentence_ids: Sequence[Sequence[int]], out: dict[str, FloatArray]
) -> None:
    """Proximity, phrase and novelty (as the loop of ``text_features`` computes them from
    tokens) for sentences given as token ids, all candidates at once."""
    lengths = np.fromiter((len(t) for t in sentence_ids), dtype=np.int64, count=len(sentence_ids))
    if not len(lengths) or not lengths.sum():
        return
    flat = np.fromiter(itertools.chain.from_iterable(sentence_ids), dtype=np.int64)
    seg = np.repeat(np.arange(len(lengths)), lengths)
    query = np.unique(np.asarray(query_ids, dtype=np.int64))
    hit = np.isin(flat, query)
    with np.errstate(invalid="ignore", divide="ignore"):
        novelty = (lengths - np.bincount(seg, weights=hit, minlength=len(lengths))) / lengths
    out["novelty"][:] = np.where(lengths > 0, novelty, 0.0)
    # distinct query terms in each sentence
    shift = int(max(int(flat.max()), int(query.max()) if len(query) else 0)) + 1
    base = int(-min(0, int(query.min()) if len(query) else 0))
    width = shift + base
    distinct = np.unique(seg[hit] * width + flat[hit] + base)
    matched = np.bincount(distinct // width, minlength=len(lengths))
    out["proximity"][:] = np.where(matched == 1, 0.5, 0.0)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    # Each sentence's matched positions, found in one pass and grouped by sentence.
    where = np.flatnonzero(hit)
    owners = seg[where]
    bounds = np.searchsorted(owners, np.arange(len(lengths) + 1))
    local = (where - starts[owners]).tolist()
    for i in np.flatnonzero(matched >= 2).tolist():
        tokens = sentence_ids[i]
        positions = local[bounds[i] : bounds[i + 1]]
        terms: set[Hashable] = {tokens[p] for p in positions}
        out["proximity"][i] = len(terms) / _shortest_cover(tokens, positions, terms)
    pairs = set(itertools.pairwise(query_ids))
    if not pairs:
        return
    codes = np.array([(a + base) * width + b + base for a, b in pairs], dtype=np.int64)
    inside = seg[1:] == seg[:-1]  # consecutive tokens of one sentence
    found = ((flat[:-1] + base) * width + flat[1:] + base)[inside]
    owner = seg[1:][inside]
    known = np.isin(found, codes)
    unique = np.unique(owner[known] * (width * width) + found[known])
    count = np.bincount(unique // (width * width), minlength=len(lengths))
    out["phrase"][:] = count / len(pairs)


def _shortest_cover(
    tokens: Sequence[Hashable], positions: Sequence[int], matched: set[Hashable]
) -> int:
    """Length of the shortest run of tokens holding every matched term (a sliding window)."""
    need = len(matched)
    counts: dict[Hashable, int] = {}
    best = len(tokens)
    lo = 0
    have = 0
    for hi in range(len(positions)):
        term = tokens[positions[hi]]
        counts[term] = counts.get(term, 0) + 1
        if counts[term] == 1:
            have += 1
        while have == need:
            best = min(best, positions[hi] - positions[lo] + 1)
            left = tokens[positions[lo]]
            counts[left] -= 1
            if counts[left] == 0:
                have -= 1
            lo += 1
    return max(best, need)
