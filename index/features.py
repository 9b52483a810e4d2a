"""The evidence a candidate sentence is scored on, named in one place.

``SentenceFeatures`` holds one array per feature, one entry per candidate sentence; the learned
scorer (``index.scorer``) reads them by name, in ``SENTENCE_FEATURES`` order. Retrieval
(``index.retrieval``) fills the dense and BM25 ones; the text ones come from ``text_features``:

* answer type: the question asks *when* / *how many* / *who* / *where* and the sentence holds a
  date / number / name / place that the question does not already contain;
* proximity and phrase: the question's terms close together in the sentence, its word pairs
  in the same order;
* novelty: the share of the sentence's words the question does not have (an answer says
  something the question does not; a restatement of the question, or its title, is no answer);
* structure: a heading or title line, a sentence that is itself a question, the first sentence
  of a paragraph, the sentence's length.

``QuestionFeatures`` describe a ranked list as a whole (how strong and how clear the best
candidate is, how much of the question the documents know, how large the corpus is): the
abstention and confidence models read them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import astuple, dataclass, fields

import numpy as np
import numpy.typing as npt

from index.lexical import tokenize

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SentenceFeatures:
    """Per candidate sentence (arrays of equal length)."""

    dense_sentence: FloatArray  # cosine of question and sentence
    dense_context: FloatArray  # cosine of question and the sentence's chunk
    dense_neighbours: FloatArray  # best cosine of the sentences before and after
    bm25_sentence: FloatArray  # BM25 of the sentence, scaled to the best candidate's
    bm25_context: FloatArray  # BM25 of its chunk, scaled likewise
    overlap: FloatArray  # share of the question's IDF mass found in the sentence
    overlap_window: FloatArray  # ... in the sentence and its neighbours
    answer_type: FloatArray  # holds what the question asks for (date, number, name, place)
    proximity: FloatArray  # matched question terms close together
    phrase: FloatArray  # share of the question's word pairs found in order
    novelty: FloatArray  # share of the sentence's words not in the question
    heading: FloatArray  # a title or heading line (short, no closing punctuation)
    is_question: FloatArray  # the sentence ends with a question mark
    paragraph_start: FloatArray  # first sentence of its paragraph
    length: FloatArray  # log length, 1.0 at 600 characters

    def matrix(self) -> FloatArray:
        return np.column_stack([np.asarray(a, dtype=np.float32) for a in astuple(self)])

    def __len__(self) -> int:
        return len(self.dense_sentence)


SENTENCE_FEATURES = tuple(f.name for f in fields(SentenceFeatures))


@dataclass(frozen=True)
class QuestionFeatures:
    """Of one question's ranked candidates, for abstention and confidence."""

    top_score: float  # the ranker's logit for the best sentence
    margin: float  # best minus second best logit
    top_dense: float  # best sentence: max(sentence, chunk) cosine
    top_overlap: float  # best sentence: IDF overlap, with neighbours
    best_overlap: float  # best IDF overlap of any candidate
    best_dense: float  # best sentence cosine of any candidate
    coverage: float  # share of the question's IDF mass the documents know at all
    question_terms: float  # log1p of the question's content words
    corpus_sentences: float  # log10 of the index's sentences
    corpus_documents: float  # log10 of the index's documents
    topic_closeness: float  # mean cosine of the 10 best candidates
    answer_type: float  # the best sentence holds the asked-for type (0 if none asked)
    follow_up: float  # 1 when the question was read in the light of earlier ones

    def vector(self) -> FloatArray:
        return np.array(astuple(self), dtype=np.float32)


QUESTION_FEATURES = tuple(f.name for f in fields(QuestionFeatures))


# -- answer types --------------------------------------------------------------------------

ANSWER_TYPES = ("time", "quantity", "name", "place")
_TIME_Q = re.compile(
    r"^\W*(when|what (year|date|time|century|decade|month|day|period|age)|"
    r"(in|during|by|since|until) (what|which) (year|century|decade|month|period)|"
    r"how long ago|since when|which (year|century|decade|month))\b",
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
    r"(last|next|this) (year|month|week)|\d+ (years?|months?|days?|weeks?) (ago|later))\b",
    re.I,
)
_QUANTITY_S = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozen|half|percent|several|few)\b",
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
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’»)\]]*$")


def answer_type(question: str) -> int | None:
    """Which ``ANSWER_TYPES`` entry the question asks for, if any."""
    return next((i for i, (asks, _) in enumerate(_TYPES) if asks.search(question)), None)


def _holds_type(sentence: str, wanted: int, question_words: set[str]) -> bool:
    """Does the sentence hold an instance of the type that the question does not itself
    name ("When was Koryolink established?" is not answered by another mention of it)?"""
    holds = _TYPES[wanted][1]
    return any(
        (m.group("instance") if "instance" in holds.groupindex else m.group(0)).casefold()
        not in question_words
        for m in holds.finditer(sentence)
    )


def is_heading(sentence: str) -> bool:
    """A short line without closing punctuation: a title, a heading, a name."""
    line = sentence.strip()
    return 0 < len(line) <= 120 and "\n" not in line and not _SENTENCE_END.search(line)


_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


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
    question_words = {w.casefold() for w in _WORDS.findall(question)}
    query = set(query_tokens)
    pairs = set(itertools.pairwise(query_tokens))
    for i, sentence in enumerate(sentences):
        tokens: Sequence[Hashable] = (
            sentence_tokens[i] if sentence_tokens is not None else tokenize(sentence)
        )
        if wanted is not None:
            out["answer_type"][i] = _holds_type(sentence, wanted, question_words)
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


def question_features(
    scores: FloatArray,
    features: SentenceFeatures,
    *,
    coverage: float,
    question_terms: int,
    corpus_sentences: int,
    corpus_documents: int,
    follow_up: bool,
) -> QuestionFeatures:
    """The features of a ranked list of at least one candidate (``scores`` and ``features``
    best first)."""
    dense = features.dense_sentence
    best10 = np.sort(dense)[-10:]
    return QuestionFeatures(
        top_score=float(scores[0]),
        margin=float(scores[0] - scores[1]) if len(scores) > 1 else 5.0,
        top_dense=float(max(dense[0], features.dense_context[0])),
        top_overlap=float(max(features.overlap[0], features.overlap_window[0])),
        best_overlap=float(features.overlap.max()),
        best_dense=float(dense.max()),
        coverage=coverage,
        question_terms=math.log1p(question_terms),
        corpus_sentences=math.log10(max(corpus_sentences, 1)),
        corpus_documents=math.log10(max(corpus_documents, 1)),
        topic_closeness=float(best10.mean()),
        answer_type=float(features.answer_type[0]),
        follow_up=float(follow_up),
    )
