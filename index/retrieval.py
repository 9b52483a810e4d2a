"""Hybrid retrieval at sentence level: dense (FAISS + sentence vectors) fused with BM25.

Candidates come from four lists — the best chunks by dense search and by BM25, and the best
sentences by dense similarity and by BM25. Each candidate *sentence* is then scored from
features that hold for any text, each normalised to [0, 1] for the query:

* ``dense_sentence`` – cosine of question and sentence;
* ``dense_context`` – cosine of question and the chunk around the sentence;
* ``bm25_sentence`` / ``bm25_context`` – BM25 of the sentence / chunk over the best candidate's;
* ``overlap`` – share of the question's IDF mass present in the sentence;
* ``overlap_window`` – the same over the sentence and its two neighbours.

The weighted sum ranks sentences (normalised score fusion, not rank fusion). The absolute
evidence (``confidence``: cosine and IDF overlap, which do not depend on the other candidates)
decides whether the documents answer at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from index.lexical import Bm25, tokenize
from index.store import StoredIndex

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ScoringWeights:
    """Weights of the fused sentence score (see module docstring). Chosen on two SQuAD
    articles and checked on the other three (``verbatim eval --holdout``); they are generic
    evidence weights, not tuned per corpus."""

    dense_sentence: float = 0.30
    dense_context: float = 0.15
    bm25_sentence: float = 0.15
    bm25_context: float = 0.10
    overlap: float = 0.20
    overlap_window: float = 0.10
    candidates_per_list: int = 24


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """A scored candidate sentence (row in the index's sentence table)."""

    sentence: int
    score: float
    dense_sentence: float
    dense_context: float
    overlap: float
    overlap_window: float


class Retriever:
    """Holds the lexical indexes and the sentence↔chunk maps for one stored index."""

    def __init__(self, stored: StoredIndex, weights: ScoringWeights | None = None) -> None:
        self.stored = stored
        self.weights = weights or ScoringWeights()
        docs = stored.documents
        sents = stored.sentences
        self.sentence_texts = [docs[int(d)].text[int(s) : int(e)] for d, s, e, _ in sents]
        self.sentence_tokens = [set(tokenize(t)) for t in self.sentence_texts]
        self.sentence_bm25 = Bm25(self.sentence_texts)
        self.chunk_bm25 = Bm25([c.text for c in stored.chunks])
        self.home_chunk, self.chunk_sentences = _sentence_chunk_maps(stored)

    # -- candidates and features -------------------------------------------------------------

    def search(
        self, query_vector: FloatArray, query_tokens: list[str], limit: int = 10
    ) -> list[SentenceHit]:
        """The best sentences for the query, best first (at most ``limit``)."""
        n_sent = len(self.sentence_texts)
        if n_sent == 0:
            return []
        w = self.weights
        k = w.candidates_per_list
        q = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)

        dense_sent = (self.stored.sentence_vectors @ q[0]).astype(np.float32)
        bm25_sent = self.sentence_bm25.scores(query_tokens)
        bm25_chunk = self.chunk_bm25.scores(query_tokens)
        n_chunks = len(self.stored.chunks)
        _, chunk_ids = self.stored.faiss_index.search(q, min(k, n_chunks))

        candidates: set[int] = set(_top(dense_sent, k)) | set(_top(bm25_sent, k))
        for chunk in [int(c) for c in chunk_ids[0] if c >= 0] + list(_top(bm25_chunk, k)):
            candidates.update(self.chunk_sentences[chunk])
        rows = np.fromiter(sorted(candidates), dtype=np.int64)
        homes = self.home_chunk[rows]
        dense_ctx = (self.stored.chunk_vectors[homes] @ q[0]).astype(np.float32)
        ls = _scaled(bm25_sent[rows])
        lc = _scaled(bm25_chunk[homes])
        qset = set(query_tokens)
        overlap = np.array(
            [self.sentence_bm25.overlap(list(qset), self.sentence_tokens[r]) for r in rows],
            dtype=np.float32,
        )
        overlap_win = np.array(
            [self.sentence_bm25.overlap(list(qset), self._window_tokens(int(r))) for r in rows],
            dtype=np.float32,
        )
        ds = dense_sent[rows]
        score = (
            w.dense_sentence * ds
            + w.dense_context * dense_ctx
            + w.bm25_sentence * ls
            + w.bm25_context * lc
            + w.overlap * overlap
            + w.overlap_window * overlap_win
        )
        order = np.argsort(-score, kind="stable")[:limit]
        return [
            SentenceHit(
                int(rows[i]),
                float(score[i]),
                float(ds[i]),
                float(dense_ctx[i]),
                float(overlap[i]),
                float(overlap_win[i]),
            )
            for i in order
        ]

    def _window_tokens(self, row: int) -> set[str]:
        doc = self.stored.sentences[row, 0]
        tokens = set(self.sentence_tokens[row])
        for near in (row - 1, row + 1):
            if 0 <= near < len(self.sentence_tokens) and self.stored.sentences[near, 0] == doc:
                tokens |= self.sentence_tokens[near]
        return tokens


def _top(values: FloatArray, k: int) -> npt.NDArray[np.int64]:
    """Indices of the k largest positive values."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(k, len(values))
    idx = np.argpartition(-values, k - 1)[:k]
    return idx[values[idx] > 0].astype(np.int64)


def _scaled(values: FloatArray) -> FloatArray:
    top = float(values.max()) if len(values) else 0.0
    if top <= 0:
        return np.zeros_like(values)
    return (values / top).astype(np.float32)


def _sentence_chunk_maps(
    stored: StoredIndex,
) -> tuple[npt.NDArray[np.int64], list[list[int]]]:
    """For each sentence its home chunk (the first chunk holding it); for each chunk its
    sentences."""
    sents = stored.sentences
    home = np.zeros(len(sents), dtype=np.int64)
    chunk_sentences: list[list[int]] = [[] for _ in stored.chunks]
    doc_row = {d.doc_id: i for i, d in enumerate(stored.documents)}
    by_doc: dict[int, list[int]] = {}
    for row in range(len(sents)):
        by_doc.setdefault(int(sents[row, 0]), []).append(row)
    assigned = np.zeros(len(sents), dtype=bool)
    for c_row, chunk in enumerate(stored.chunks):
        rows = by_doc.get(doc_row.get(chunk.doc_id, -1), [])
        starts = sents[rows, 1] if rows else np.zeros(0, dtype=np.int64)
        lo = int(np.searchsorted(starts, chunk.start, side="left"))
        hi = int(np.searchsorted(starts, chunk.end, side="left"))
        for r in rows[lo:hi]:
            if sents[r, 2] <= chunk.end:
                chunk_sentences[c_row].append(r)
                if not assigned[r]:
                    home[r] = c_row
                    assigned[r] = True
    return home, chunk_sentences
