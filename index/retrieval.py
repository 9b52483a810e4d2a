"""Hybrid retrieval at sentence level: dense (FAISS + sentence vectors) fused with BM25.

Candidates come from four lists — the best chunks by dense search and by BM25, and the best
sentences by dense similarity and by BM25. Each candidate *sentence* is then scored from
features that hold for any text, each normalised to [0, 1] for the query:

* ``dense_sentence`` – cosine of question and sentence;
* ``dense_context`` – cosine of question and the chunk around the sentence;
* ``bm25_sentence`` / ``bm25_context`` – BM25 of the sentence / chunk over the best candidate's;
* ``overlap`` – share of the question's IDF mass present in the sentence, read with what it
  is about: the sentence before it when it refers back, its document's title and its
  paragraph's run-in heading;
* ``overlap_window`` – the same over the sentence, its two neighbours, its section's heading,
  the title and the run-in heading;
* ``overlap_said`` / ``window_said`` – the two without the title and the run-in heading (what
  the text itself says: whether the documents answer at all is read from them).

These and the text features of ``index.features`` are the ``SentenceFeatures`` of each
candidate; the learned ranker of ``index.scorer`` orders them.

The lexical indexes and sentence↔chunk maps it reads are saved with each version
(``index.sentence_index``). The dense features are read in one space (``index.spaces``): the
main model's, or for a question in another language the multilingual encoder's fused with the
main model's reading of it in the documents' words (``index.translation``).

One module (about 420 lines): the candidate lists, the features and the ranking are one pass
over the same arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from index import sentence_index
from index.features import SENTENCE_FEATURES, SentenceFeatures
from index.scorer import LinearModel, Scorer, load_scorer
from index.spaces import Space, VectorSpace
from index.store import StoredIndex
from index.text_features import (
    is_heading,
    is_run_in_heading,
    is_section_heading,
    refers_back,
    text_features,
)
from index.types import SentenceHit, SentenceTable

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

#: Candidates taken from each list (dense sentences, BM25 sentences, nearest chunks...).
CANDIDATES_PER_LIST = 24

#: Up to this many sentences every question is scored against all of them (one pass over
#: their vectors, 1.5 kB each: 15 MB and about 2 ms here at the limit, already more than the
#: rest of the dense step); beyond, only against the sentences of the nearest chunks (found by
#: the chunk index) and of the BM25 candidates. Measured with every set of ``verbatim eval``
#: forced into the second way (2026-12-01): every quote@1 within 0.005 of the first.
SCAN_ALL_SENTENCES_UP_TO = 10_000
_UNSCORED = -2.0  # below any cosine
#: The candidates whose text features are read (``Retriever.candidates``): measured on the
#: ``make eval`` suite (2026-12-06), every ranking and abstention figure the same as with all
#: candidates (ECE within 0.002).
TEXT_FEATURE_CANDIDATES = 64


@dataclass(frozen=True, slots=True)
class Dense:
    """Dense evidence for one query: cosine with every sentence; the nearest chunk ids."""

    sentence_scores: FloatArray
    chunk_ids: npt.NDArray[np.int64]


@dataclass(frozen=True)
class Ranked:
    """One question's candidates, best first: their rows in ``sentences``, the ranker's
    logits, their features."""

    sentences: SentenceTable
    rows: npt.NDArray[np.int64]
    scores: FloatArray
    features: SentenceFeatures
    coverage: float  # share of the query's IDF mass that the sentences know at all
    terms: int  # distinct query terms

    def scores_by_row(self) -> dict[int, float]:
        """The ranker's score of each candidate, by its row in ``sentences``."""
        return dict(zip(self.rows.tolist(), self.scores.tolist(), strict=True))

    def without(self, dropped: npt.NDArray[np.bool_]) -> Ranked:
        """The candidates but those ``dropped`` marks (one flag per candidate)."""
        if not dropped.any():
            return self
        keep = ~dropped
        columns = {
            name: getattr(self.features, name)[keep] for name in self.features.__dataclass_fields__
        }
        return replace(
            self,
            rows=self.rows[keep],
            scores=self.scores[keep],
            features=type(self.features)(**columns),
        )

    def hits(self, limit: int) -> list[SentenceHit]:
        return [
            SentenceHit(self.sentences[int(self.rows[i])], float(self.scores[i]))
            for i in range(min(limit, len(self.rows)))
        ]


class Retriever:
    """Holds the lexical indexes and the sentence↔chunk maps for one stored index."""

    def __init__(
        self,
        stored: StoredIndex,
        scorer: Scorer | None = None,
        *,
        scan_all_up_to: int = SCAN_ALL_SENTENCES_UP_TO,
    ) -> None:
        self.stored = stored
        self.scorer = scorer or load_scorer()
        self.scan_all = len(stored.sentences) <= scan_all_up_to
        sents = stored.sentences
        indexes = sentence_index.load(stored)
        self.sentence_texts = indexes.texts
        self.tokens = indexes.tokens
        self.home_chunk, self.chunk_sentences = indexes.home_chunk, indexes.chunk_sentences
        self.sentence_bm25, self.chunk_bm25 = indexes.sentence_bm25, indexes.chunk_bm25
        self.speller = indexes.speller
        doc_of = sents.doc
        self.same_doc_prev = np.zeros(len(sents), dtype=bool)
        self.same_doc_next = np.zeros(len(sents), dtype=bool)
        if len(sents) > 1:
            self.same_doc_prev[1:] = doc_of[1:] == doc_of[:-1]
            self.same_doc_next[:-1] = doc_of[:-1] == doc_of[1:]
        para = sents.paragraph
        new_para = np.ones(len(sents), dtype=bool)
        if len(sents) > 1:
            new_para[1:] = ~self.same_doc_prev[1:] | (para[1:] != para[:-1])
        ends_para = np.ones(len(sents), dtype=bool)
        ends_para[:-1] = new_para[1:]
        self.paragraph_start = new_para
        self.alone_in_paragraph = new_para & ends_para
        #: each sentence's section heading (the nearest heading line at or before it in its
        #: document, not its title; itself if none)
        self.heading_row = _heading_rows(stored, self.alone_in_paragraph, self.sentence_texts.take)
        #: each sentence's document title (its first line, when that is a heading); itself
        #: if none
        self.title_row = _title_rows(stored, self.alone_in_paragraph, self.sentence_texts.take)
        #: each sentence's paragraph's first row
        rows = np.arange(len(sents), dtype=np.int64)
        self._opening = np.maximum.accumulate(np.where(new_para, rows, 0)) if len(sents) else rows
        #: what a sentence's text says of it, read once, when a question first needs it (1 or
        #: 0, -1 until then): whether it refers back to the one before it ("Built in 1858, it
        #: stands 38 metres high."), whether it is a run-in heading ("The Museum of the
        #: River. Housed in a former mill…")
        self._refers_back = np.full(len(sents), -1, dtype=np.int8)
        self._runs_in = np.full(len(sents), -1, dtype=np.int8)
        self.main = VectorSpace(
            "main", stored.sentence_vectors, stored.chunk_vectors, stored.faiss_index
        )
        ml = stored.multilingual
        #: the multilingual space, when the version has one
        self.multilingual = (
            VectorSpace("multilingual", ml.sentence_vectors, ml.chunk_vectors, ml.chunk_index)
            if ml is not None
            else None
        )

    # -- candidates and features -------------------------------------------------------------

    def _read_once(
        self,
        known: npt.NDArray[np.int8],
        rows: npt.NDArray[np.int64],
        says: Callable[[str], bool],
    ) -> npt.NDArray[np.bool_]:
        """``says`` of each of ``rows``' texts, kept in ``known`` (-1: not read yet)."""
        unknown = rows[known[rows] < 0]
        if len(unknown):
            known[unknown] = [says(t) for t in self.sentence_texts.take(unknown)]
        return known[rows] > 0

    def _referring(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which of ``rows`` refer back to the sentence before them in their paragraph."""
        return self._read_once(self._refers_back, rows, refers_back) & ~self.paragraph_start[rows]

    def run_in_rows(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """For each of ``rows``, the row of its paragraph's run-in heading
        (``is_run_in_heading``: the first sentence of a paragraph that goes on), when it is
        not that sentence itself; else its own row."""
        opening = self._opening[rows]
        heads = self._read_once(self._runs_in, opening, is_run_in_heading)
        heads &= ~self.alone_in_paragraph[opening] & (opening != rows)
        return np.where(heads, opening, rows)

    def dense(self, query_vectors: FloatArray, space: Space | None = None) -> list[Dense]:
        """The dense part of retrieval for a batch of query vectors (one row each, in
        ``space``: the main one by default): cosine with every sentence and the nearest
        chunks. One matrix product and one chunk search for the whole batch read the vectors
        once, however many questions there are."""
        space = space or self.main
        q = np.ascontiguousarray(query_vectors, dtype=np.float32).reshape(-1, space.dimension)
        if len(self.sentence_texts) == 0 or len(q) == 0:
            return [Dense(np.zeros(0, np.float32), np.zeros(0, np.int64)) for _ in q]
        k = min(CANDIDATES_PER_LIST, len(self.stored.chunks))
        chunk_ids = space.nearest_chunks(q, k)
        if self.scan_all:
            sims = space.all_sentences(q)
            return [
                Dense(np.ascontiguousarray(sims[:, i]), chunk_ids[i].astype(np.int64))
                for i in range(len(q))
            ]
        # A large index: only the sentences of the nearest chunks are scored now; others get
        # scored in ``candidates`` if BM25 or a neighbour brings them in.
        out = []
        for i in range(len(q)):
            near = chunk_ids[i][chunk_ids[i] >= 0].astype(np.int64)
            rows = np.unique(self.chunk_sentences.rows_of(near))
            scores = np.full(len(self.sentence_texts), _UNSCORED, dtype=np.float32)
            if len(rows):
                scores[rows] = space.sentences(rows, q[i])
            out.append(Dense(scores, chunk_ids[i].astype(np.int64)))
        return out

    def candidates(
        self,
        query_vector: FloatArray,
        query_tokens: list[str],
        question: str = "",
        dense: Dense | None = None,
        space: Space | None = None,
        ranker: LinearModel | None = None,
    ) -> tuple[npt.NDArray[np.int64], SentenceFeatures]:
        """Candidate sentence rows and their features. ``dense`` is ``self.dense`` of the
        query vector (in ``space``, the main one by default), when the caller computed it;
        ``ranker`` (the scorer's by default) picks those whose text features are read."""
        space = space or self.main
        ranker = ranker or self.scorer.ranker
        n_sent = len(self.sentence_texts)
        if n_sent == 0:
            return np.zeros(0, dtype=np.int64), _no_features()
        k = CANDIDATES_PER_LIST
        q = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        if dense is None:
            dense = self.dense(q, space)[0]
        dense_sent = dense.sentence_scores
        bm25_sent = self.sentence_bm25.scores(query_tokens)
        bm25_chunk = self.chunk_bm25.scores(query_tokens)

        chunks = np.concatenate([dense.chunk_ids[dense.chunk_ids >= 0], _top(bm25_chunk, k)])
        rows = np.unique(
            np.concatenate(
                [
                    _top(dense_sent, k),
                    _top(bm25_sent, k),
                    self.chunk_sentences.rows_of(chunks.astype(np.int64)),
                ]
            )
        )
        prev_rows = np.where(self.same_doc_prev[rows], rows - 1, rows)
        next_rows = np.where(self.same_doc_next[rows], rows + 1, rows)
        if not self.scan_all:
            need = np.unique(np.concatenate([rows, prev_rows, next_rows]))
            missing = need[dense_sent[need] <= _UNSCORED]
            if len(missing):
                dense_sent[missing] = space.sentences(missing, q[0])
        homes = self.home_chunk[rows]
        # A sentence that refers back with a pronoun is read with the one it refers to:
        # "…the Corran Water Viaduct. Built in 1858, it stands 38 metres high." holds the
        # viaduct's height. The window: the sentence, its neighbours and its section's
        # heading ("Price: €1,790." under "Corvo Deluxe" is about the Deluxe)
        referent = np.where(self._referring(rows), rows - 1, rows)
        # ... and its document's title and its paragraph's run-in heading say what it is about
        # ("The bridge was designed by Thomas Aldane." in "Quarry Lane Bridge reopens…")
        # The ranker reads these; whether the documents answer at all reads the text alone
        # (``overlap_said``, ``window_said``): the title's words, in every sentence's context,
        # would make any question that shares them look answered ("Is it new?" after "What
        # equipment is being imported?" of "…Huawei Equipment Imports")
        about = [self.title_row[rows], self.run_in_rows(rows)]
        said, window = [rows, referent], [rows, prev_rows, next_rows, self.heading_row[rows]]
        overlap, overlap_window, overlap_said, window_said = self.sentence_bm25.overlaps(
            query_tokens, [[*said, *about], [*window, *about], said, window]
        )
        evidence = {
            "dense_sentence": np.asarray(dense_sent[rows], dtype=np.float32),
            "dense_context": space.chunks(homes, q[0]),
            "dense_neighbours": np.maximum(dense_sent[prev_rows], dense_sent[next_rows]),
            "bm25_sentence": _scaled(bm25_sent[rows]),
            "bm25_context": _scaled(bm25_chunk[homes]),
            "overlap": overlap.astype(np.float32),
            "overlap_window": overlap_window.astype(np.float32),
            "overlap_said": overlap_said.astype(np.float32),
            "window_said": window_said.astype(np.float32),
            "paragraph_start": self.paragraph_start[rows].astype(np.float32),
        }
        limit = TEXT_FEATURE_CANDIDATES
        if len(rows) > limit:
            # A cascade: the text features (the costliest part of a question's scoring) are
            # read for the candidates the ranker rates best on the other evidence alone.
            blank = np.zeros(len(rows), dtype=np.float32)
            first = SentenceFeatures(**{f: evidence.get(f, blank) for f in SENTENCE_FEATURES})
            pre = ranker.logits(first.matrix())
            keep = np.sort(np.argpartition(-pre, limit - 1)[:limit])
            rows = rows[keep]
            evidence = {f: v[keep] for f, v in evidence.items()}
        texts = self.sentence_texts.take(rows)
        tokens = self.tokens
        text = text_features(question, tokens.query(query_tokens), texts, tokens.of(rows.tolist()))
        features = SentenceFeatures(
            **evidence,
            answer_type=text.answer_type,
            proximity=text.proximity,
            phrase=text.phrase,
            novelty=text.novelty,
            heading=text.heading * self.alone_in_paragraph[rows],
            is_question=text.is_question,
            length=text.length,
        )
        return rows, features

    def rank(
        self,
        query_vector: FloatArray,
        query_tokens: list[str],
        question: str = "",
        dense: Dense | None = None,
        space: Space | None = None,
        ranker: LinearModel | None = None,
    ) -> Ranked:
        """Every candidate, scored by the ranker (the scorer's by default), best first."""
        ranker = ranker or self.scorer.ranker
        rows, features = self.candidates(query_vector, query_tokens, question, dense, space, ranker)
        scores = ranker.logits(features.matrix()) if len(rows) else _EMPTY_SCORES
        order = np.argsort(-scores, kind="stable")
        terms = set(query_tokens)
        bm25 = self.sentence_bm25
        total = sum(bm25.idf(t) for t in terms)
        known = sum(bm25.idf(t) for t in terms if bm25.knows(t))
        return Ranked(
            self.stored.sentences,
            rows[order],
            scores[order],
            SentenceFeatures(**{k: v[order] for k, v in vars(features).items()}),
            known / total if total else 0.0,
            len(terms),
        )

    def search(
        self,
        query_vector: FloatArray,
        query_tokens: list[str],
        limit: int = 10,
        question: str = "",
        dense: Dense | None = None,
    ) -> list[SentenceHit]:
        """The best sentences for the query, best first (at most ``limit``)."""
        return self.rank(query_vector, query_tokens, question, dense).hits(limit)


_EMPTY_SCORES = np.zeros(0, dtype=np.float32)


def _no_features() -> SentenceFeatures:
    empty = np.zeros(0, dtype=np.float32)
    return SentenceFeatures(*[empty for _ in SENTENCE_FEATURES])


def _top(values: FloatArray, k: int) -> npt.NDArray[np.int64]:
    """Indices of the k largest positive values."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    positive = np.flatnonzero(values > 0)
    if len(positive) <= k:  # BM25 scores are mostly zero: no partition needed
        return positive.astype(np.int64)
    idx = np.argpartition(-values, k - 1)[:k]
    return idx[values[idx] > 0].astype(np.int64)


def _scaled(values: FloatArray) -> FloatArray:
    top = float(values.max()) if len(values) else 0.0
    if top <= 0:
        return np.zeros_like(values)
    return (values / top).astype(np.float32)


def _title_rows(
    stored: StoredIndex,
    alone: npt.NDArray[np.bool_],
    texts: Callable[[npt.NDArray[np.int64]], list[str]],
) -> npt.NDArray[np.int64]:
    """For each sentence, the row of its document's title: the document's first sentence when
    it is alone in its paragraph and a heading line; else its own row."""
    doc_of = stored.sentences.doc
    n = len(doc_of)
    rows = np.arange(n, dtype=np.int64)
    if not n:
        return rows
    first = np.searchsorted(doc_of, doc_of, "left").astype(np.int64)  # (in document order)
    starts = np.unique(first)
    starts = starts[alone[starts]]
    titled = np.zeros(n, dtype=bool)
    if len(starts):
        titled[starts] = [is_heading(t) for t in texts(starts)]
    return np.where(titled[first], first, rows)


def _heading_rows(
    stored: StoredIndex,
    alone: npt.NDArray[np.bool_],
    texts: Callable[[npt.NDArray[np.int64]], list[str]],
) -> npt.NDArray[np.int64]:
    """For each sentence, the row of the nearest section heading at or before it in its
    document, else its own: a heading its format marks (``Document.headings``), or a
    sentence alone in its paragraph that ``is_section_heading``. Not the document's first
    line, its title: a quote is not cited under it (its words are read with every sentence
    all the same: ``_title_rows``)."""
    sents = stored.sentences
    doc_of = sents.doc
    n = len(doc_of)
    rows = np.arange(n, dtype=np.int64)
    heads = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(alone).astype(np.int64)
    if len(candidates):
        heads[candidates] = [is_section_heading(t) for t in texts(candidates)]
    for d, doc in enumerate(stored.documents):
        if doc.headings:  # (the sentences are in document order)
            lo, hi = np.searchsorted(doc_of, d, "left"), np.searchsorted(doc_of, d, "right")
            heads[lo:hi] |= np.isin(sents.start[lo:hi], doc.headings)
    if n:
        heads[0] = False
        heads[1:] &= doc_of[1:] == doc_of[:-1]  # a document's first line is its title
    last = np.maximum.accumulate(np.where(heads, rows, -1)) if n else rows
    same = (last >= 0) & (doc_of[np.maximum(last, 0)] == doc_of)
    return np.where(same, last, rows)
