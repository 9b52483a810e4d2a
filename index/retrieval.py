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

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.chunking import Chunk
from index.documents import Document
from index.lexical import Bm25, tokenize
from index.store import StoredIndex

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

FEATURES = (
    "dense_sentence",
    "dense_context",
    "bm25_sentence",
    "bm25_context",
    "overlap",
    "overlap_window",
    "dense_neighbours",
    "answer_type",
)

# Answer types a question can ask for, and how a sentence shows it holds one.
ANSWER_TYPES = ("time", "quantity", "name")
_TIME_Q = re.compile(
    r"^\s*(when|what (year|date|time|century|decade|month|day)|"
    r"in what (year|century|decade)|how long ago|since when)\b",
    re.I,
)
_QUANTITY_Q = re.compile(
    r"\bhow (many|much|long|far|large|big|old|tall|high|often)\b|"
    r"\bwhat (percentage|percent|number|proportion|amount)\b",
    re.I,
)
_NAME_Q = re.compile(
    r"^\s*(who|whom|whose|which (person|company|organi[sz]ation|group|team))\b", re.I
)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|"
    r"December"
)
_TIME_S = re.compile(
    rf"\b(1\d{{3}}|20\d{{2}}|\d{{1,2}}(st|nd|rd|th) century|{_MONTHS}|"
    r"(\d0s))\b"
)
_QUANTITY_S = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
    r"twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|"
    r"dozen|half|percent)\b",
    re.I,
)
_NAME_S = re.compile(r"(?<=\S\s)[A-Z][a-z]+")


def answer_type(question: str) -> int | None:
    """Which ``ANSWER_TYPES`` entry the question asks for, if any (who/when/how many...)."""
    if _TIME_Q.search(question):
        return 0
    if _QUANTITY_Q.search(question):
        return 1
    if _NAME_Q.search(question):
        return 2
    return None


def sentence_answer_types(sentence: str) -> list[float]:
    return [
        float(bool(_TIME_S.search(sentence))),
        float(bool(_QUANTITY_S.search(sentence))),
        float(bool(_NAME_S.search(sentence))),
    ]


@dataclass(frozen=True)
class ScoringWeights:
    """Weights of the fused sentence score (see module docstring).

    Fitted by ``bench/fit_scoring.py`` on two SQuAD articles (Normans, Computational
    complexity theory) and checked on three others that played no part in the fit (Southern
    California, Sky (UK), Victoria (Australia)): quote@1 0.934 → 0.954 and highlight@1
    0.874 → 0.896 there against the hand-set starting weights. The BM25 features lost their
    weight to the IDF-overlap ones, which carry the same lexical evidence on an absolute scale;
    they are still computed, as BM25 brings candidates in.
    """

    dense_sentence: float = 0.39
    dense_context: float = 0.0
    bm25_sentence: float = 0.0
    bm25_context: float = 0.0
    overlap: float = 0.27
    overlap_window: float = 0.14
    dense_neighbours: float = 0.06
    answer_type: float = 0.13
    candidates_per_list: int = 24

    def vector(self) -> FloatArray:
        return np.array(
            [
                self.dense_sentence,
                self.dense_context,
                self.bm25_sentence,
                self.bm25_context,
                self.overlap,
                self.overlap_window,
                self.dense_neighbours,
                self.answer_type,
            ],
            dtype=np.float32,
        )


#: Up to this many sentences every question is scored against all of them (one pass over
#: the vectors: ~300 MB at the limit, a few ms); beyond, only against the sentences of the
#: nearest chunks (found by the approximate chunk index) and of the BM25 candidates.
SCAN_ALL_SENTENCES_UP_TO = 200_000
_UNSCORED = -2.0  # below any cosine


@dataclass(frozen=True, slots=True)
class Dense:
    """Dense evidence for one query: cosine with every sentence; the nearest chunk ids."""

    sentence_scores: FloatArray
    chunk_ids: npt.NDArray[np.int64]


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

    def __init__(
        self,
        stored: StoredIndex,
        weights: ScoringWeights | None = None,
        *,
        scan_all_up_to: int = SCAN_ALL_SENTENCES_UP_TO,
    ) -> None:
        self.stored = stored
        self.weights = weights or ScoringWeights()
        self.scan_all = len(stored.sentences) <= scan_all_up_to
        sents = stored.sentences
        self.sentence_texts = _sentence_texts(stored.documents, sents)
        self.home_chunk, self.chunk_sentences = _sentence_chunk_maps(
            stored.documents, stored.chunks, sents
        )
        self.sentence_bm25, self.chunk_bm25 = _load_lexical(
            stored.path / LEXICAL_DIR, len(sents), len(stored.chunks)
        ) or _lexical_indexes(self.sentence_texts, self.chunk_sentences, stored.chunks)
        doc_of = sents[:, 0] if len(sents) else np.zeros(0, dtype=np.int64)
        self.same_doc_prev = np.zeros(len(sents), dtype=bool)
        self.same_doc_next = np.zeros(len(sents), dtype=bool)
        if len(sents) > 1:
            self.same_doc_prev[1:] = doc_of[1:] == doc_of[:-1]
            self.same_doc_next[:-1] = doc_of[:-1] == doc_of[1:]
        # Filled in as sentences become candidates (-1: not yet known).
        self.answer_types = np.full((len(sents), len(ANSWER_TYPES)), -1.0, dtype=np.float32)

    # -- candidates and features -------------------------------------------------------------

    def dense(self, query_vectors: FloatArray) -> list[Dense]:
        """The dense part of retrieval for a batch of query vectors (one row each): cosine
        with every sentence and the nearest chunks. One matrix product and one FAISS search
        for the whole batch read the vectors once, however many questions there are."""
        q = np.ascontiguousarray(query_vectors, dtype=np.float32).reshape(
            -1, self.stored.manifest.dimension
        )
        if len(self.sentence_texts) == 0 or len(q) == 0:
            return [Dense(np.zeros(0, np.float32), np.zeros(0, np.int64)) for _ in q]
        k = min(self.weights.candidates_per_list, len(self.stored.chunks))
        _, chunk_ids = self.stored.faiss_index.search(q, k)
        if self.scan_all:
            sims = np.asarray(self.stored.sentence_vectors @ q.T, dtype=np.float32)
            return [
                Dense(np.ascontiguousarray(sims[:, i]), chunk_ids[i].astype(np.int64))
                for i in range(len(q))
            ]
        # A large index: only the sentences of the nearest chunks are scored now; others get
        # scored in ``candidates`` if BM25 or a neighbour brings them in.
        out = []
        for i in range(len(q)):
            rows = np.sort(
                np.fromiter(
                    {r for c in chunk_ids[i] if c >= 0 for r in self.chunk_sentences[int(c)]},
                    dtype=np.int64,
                )
            )
            scores = np.full(len(self.sentence_texts), _UNSCORED, dtype=np.float32)
            if len(rows):
                scores[rows] = np.asarray(self.stored.sentence_vectors[rows] @ q[i])
            out.append(Dense(scores, chunk_ids[i].astype(np.int64)))
        return out

    def candidates(
        self,
        query_vector: FloatArray,
        query_tokens: list[str],
        question: str = "",
        dense: Dense | None = None,
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Candidate sentence rows and their features (columns in ``FEATURES`` order).
        ``dense`` is ``self.dense`` of the query vector, when the caller computed it."""
        n_sent = len(self.sentence_texts)
        if n_sent == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(FEATURES)), dtype=np.float32)
        k = self.weights.candidates_per_list
        q = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        if dense is None:
            dense = self.dense(q)[0]
        dense_sent = dense.sentence_scores
        bm25_sent = self.sentence_bm25.scores(query_tokens)
        bm25_chunk = self.chunk_bm25.scores(query_tokens)

        candidates: set[int] = set(_top(dense_sent, k)) | set(_top(bm25_sent, k))
        for chunk in [int(c) for c in dense.chunk_ids if c >= 0] + list(_top(bm25_chunk, k)):
            candidates.update(self.chunk_sentences[chunk])
        rows = np.fromiter(sorted(candidates), dtype=np.int64)
        prev_rows = np.where(self.same_doc_prev[rows], rows - 1, rows)
        next_rows = np.where(self.same_doc_next[rows], rows + 1, rows)
        if not self.scan_all:
            need = np.unique(np.concatenate([rows, prev_rows, next_rows]))
            missing = need[dense_sent[need] <= _UNSCORED]
            if len(missing):
                dense_sent[missing] = np.asarray(self.stored.sentence_vectors[missing] @ q[0])
        homes = self.home_chunk[rows]
        feats = np.zeros((len(rows), len(FEATURES)), dtype=np.float32)
        feats[:, 0] = dense_sent[rows]
        feats[:, 1] = self.stored.chunk_vectors[homes] @ q[0]
        feats[:, 2] = _scaled(bm25_sent[rows])
        feats[:, 3] = _scaled(bm25_chunk[homes])
        feats[:, 4], feats[:, 5] = self.sentence_bm25.overlaps(
            query_tokens, [[rows], [rows, prev_rows, next_rows]]
        )
        feats[:, 6] = np.maximum(dense_sent[prev_rows], dense_sent[next_rows])
        wanted = answer_type(question)
        if wanted is not None:
            for r in rows[self.answer_types[rows, 0] < 0]:
                self.answer_types[r] = sentence_answer_types(self.sentence_texts[int(r)])
            feats[:, 7] = self.answer_types[rows, wanted]
        return rows, feats

    def search(
        self,
        query_vector: FloatArray,
        query_tokens: list[str],
        limit: int = 10,
        question: str = "",
        dense: Dense | None = None,
    ) -> list[SentenceHit]:
        """The best sentences for the query, best first (at most ``limit``)."""
        rows, feats = self.candidates(query_vector, query_tokens, question, dense)
        if len(rows) == 0:
            return []
        score = feats @ self.weights.vector()
        order = np.argsort(-score, kind="stable")[:limit]
        return [
            SentenceHit(
                int(rows[i]),
                float(score[i]),
                float(feats[i, 0]),
                float(feats[i, 1]),
                float(feats[i, 4]),
                float(feats[i, 5]),
            )
            for i in order
        ]


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


# -- the lexical indexes: built with each version, saved beside its vectors ----------------------

LEXICAL_DIR = "lexical"  # in a version folder: sentences/ and chunks/, each a saved Bm25


def save_lexical(
    folder: Path,
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    sentences: npt.NDArray[np.int64],
) -> None:
    """Build the sentence and chunk BM25 indexes of a version and save them in ``folder``
    (``index.store.write_version`` calls this before the version is switched in). Loading
    them takes a moment; building them was most of a large index's start-up (about 13 s for
    265,791 sentences) and of every hot reload."""
    texts = _sentence_texts(documents, sentences)
    _, chunk_sentences = _sentence_chunk_maps(documents, chunks, sentences)
    for name, bm25 in zip(
        ("sentences", "chunks"), _lexical_indexes(texts, chunk_sentences, chunks), strict=True
    ):
        (folder / name).mkdir(parents=True)
        bm25.save(folder / name)


def _load_lexical(folder: Path, sentences: int, chunks: int) -> tuple[Bm25, Bm25] | None:
    """The saved indexes, or None (an older version without them, or an unreadable one, or
    one of other texts: then they are built in memory, as before, and the index serves)."""
    if not folder.is_dir():
        return None
    try:
        loaded = Bm25.load(folder / "sentences"), Bm25.load(folder / "chunks")
        if (len(loaded[0]), len(loaded[1])) != (sentences, chunks):
            raise ValueError(
                f"they index {len(loaded[0])} sentences and {len(loaded[1])} chunks, "
                f"the version {sentences} and {chunks}"
            )
        return loaded
    except Exception as exc:  # any damage: rebuild rather than fail
        log.warning("cannot read %s (%s): building the BM25 indexes in memory", folder, exc)
        return None


def _lexical_indexes(
    sentence_texts: list[str], chunk_sentences: list[list[int]], chunks: Sequence[Chunk]
) -> tuple[Bm25, Bm25]:
    # Each sentence is tokenized once: a chunk is a run of whole sentences, so its tokens
    # are theirs, in order.
    tokens = [tokenize(t) for t in sentence_texts]
    sentence_bm25 = Bm25(sentence_texts, tokens=tokens)
    chunk_bm25 = Bm25(
        [c.text for c in chunks],
        tokens=[[t for r in rows for t in tokens[r]] for rows in chunk_sentences],
    )
    return sentence_bm25, chunk_bm25


def _sentence_texts(documents: Sequence[Document], sents: npt.NDArray[np.int64]) -> list[str]:
    return [documents[int(d)].text[int(s) : int(e)] for d, s, e, _ in sents]


def _sentence_chunk_maps(
    documents: Sequence[Document], chunks: Sequence[Chunk], sents: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], list[list[int]]]:
    """For each sentence its home chunk (the first chunk holding it); for each chunk its
    sentences."""
    home = np.zeros(len(sents), dtype=np.int64)
    chunk_sentences: list[list[int]] = [[] for _ in chunks]
    doc_row = {d.doc_id: i for i, d in enumerate(documents)}
    by_doc: dict[int, list[int]] = {}
    for row in range(len(sents)):
        by_doc.setdefault(int(sents[row, 0]), []).append(row)
    assigned = np.zeros(len(sents), dtype=bool)
    for c_row, chunk in enumerate(chunks):
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
