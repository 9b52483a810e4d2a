"""Lexical side of retrieval: one tokenizer for everything, BM25 (bm25s) and IDF overlap.

One module (about 350 lines, a hundred of them the stop-word list): the tokenizer and the
indexes built with it must change together (``TOKENIZER_VERSION``)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_META = "verbatim.json"
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

# English function words plus question words: they carry no evidence of an answer.
_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "re",
        "ve",
        "y",
        "many",
        "much",
        "whose",
        "one",
        "ones",
        "did",
        "does",
        "get",
        "got",
        "like",
        "said",
        "say",
        "says",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


# Words the Snowball stemmer folds into an unrelated word's stem ("authorities" into "author",
# so "Who is the author?" matched a sentence about the authorities): they keep a stem of their
# own. The same kind of list as Lucene's StemmerOverrideFilter; only clear collisions.
_OVERRIDES = {
    **dict.fromkeys(
        ["authority", "authorities", "authoritative", "authorize", "authorized", "authorise"],
        "authorit",
    ),
    **dict.fromkeys(["authorization", "authorizations", "authorised"], "authorit"),
    **dict.fromkeys(["experience", "experiences", "experienced", "experiencing"], "experienc"),
    **dict.fromkeys(["executive", "executives"], "executiv"),
    **dict.fromkeys(["business", "businesses"], "business"),
    **dict.fromkeys(["animation", "animations", "animated"], "animat"),
    "ironic": "ironic",
}


def is_stopword(word: str) -> bool:
    """Is the (case-folded) word an English function or question word?"""
    return word in _STOPWORDS


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed word tokens."""
    words = [w for w in WORD.findall(text.casefold().replace("’", "'")) if w not in _STOPWORDS]
    if not words:
        return []
    stems: list[str] = _stemmer().stemWords(words)  # type: ignore[attr-defined]
    return [_OVERRIDES.get(w, stem) for w, stem in zip(words, stems, strict=True)]


# Bump when ``tokenize`` changes: a BM25 index saved with another tokenizer is not reused.
TOKENIZER_VERSION = 2  # 2: stem overrides (_OVERRIDES)
_EMPTY = "\u2205"  # stands in for a text without tokens (bm25s needs one per text)


@lru_cache(maxsize=1)
def tokenizer_id() -> str:
    """What ``tokenize`` depends on: its version, the stemmer's, the stop words and the word
    pattern. A saved index whose tokens were made otherwise is rebuilt, never misread."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        stemmer = version("PyStemmer")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        stemmer = "unknown"
    words = "\n".join(
        [WORD.pattern, *sorted(_STOPWORDS), *(f"{w}={s}" for w, s in sorted(_OVERRIDES.items()))]
    ).encode()
    return f"{TOKENIZER_VERSION}/PyStemmer-{stemmer}/{hashlib.sha256(words).hexdigest()[:12]}"


class Bm25:
    """BM25 over a list of texts (bm25s), with the IDF of each term for the overlap features.

    Built from texts (or their tokens), or loaded from a folder written by ``save``: the
    weights are memory-mapped, so a large index loads in a moment instead of being rebuilt."""

    def __init__(self, texts: Sequence[str], *, tokens: Sequence[list[str]] | None = None) -> None:
        """Index ``texts``; or pass their ``tokens`` (from ``tokenize``) when already known."""
        import bm25s

        if tokens is None:
            tokens = [tokenize(t) for t in texts]
        model = bm25s.BM25()
        model.index([t or [_EMPTY] for t in tokens], show_progress=False)
        self._use(model)

    @classmethod
    def load(cls, folder: Path) -> Bm25:
        """The index ``save`` wrote to ``folder`` (ValueError if it was made otherwise)."""
        import bm25s

        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        if meta.get("tokenizer") != tokenizer_id():
            raise ValueError(f"saved with tokenizer {meta.get('tokenizer')}, now {tokenizer_id()}")
        bm25 = cls.__new__(cls)
        bm25._use(bm25s.BM25.load(str(folder), mmap=True))
        return bm25

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (``index.store.write_version`` syncs it to disk)."""
        self._model.save(str(folder))
        (folder / _META).write_text(json.dumps({"tokenizer": tokenizer_id()}), encoding="utf-8")

    def _use(self, model: Any) -> None:
        # bm25s holds the BM25 weights: one column of a CSC matrix per term, one entry per
        # text that holds it. Queries read those columns here: bm25s's own ``get_scores``
        # accumulates them with ``np.add.at``, which was the largest share of a question's
        # Python time under concurrent load (py-spy); a term's column names each text once,
        # so plain indexed addition is exact. A column's length is the term's document
        # frequency, hence its IDF.
        index = model.scores
        if getattr(model, "nonoccurrence_array", None) is not None:
            raise ValueError("BM25 variants that score absent terms are not supported")
        vocab: dict[str, int] = dict(model.vocab_dict)
        indptr = np.asarray(index["indptr"])
        size = int(index["num_docs"])  # every text, the empty ones included (placeholder)
        df = np.diff(indptr)  # bm25s's vocabulary may hold an extra "" with no column
        self._model = model
        self._size = size
        self._idf = {
            term: math.log(1 + (size - int(df[i]) + 0.5) / (int(df[i]) + 0.5))
            for term, i in vocab.items()
            if i < len(df) and df[i] > 0 and term != _EMPTY
        }
        self._unknown_idf = math.log(1 + (size + 0.5) / 0.5)
        self._columns = (vocab, np.asarray(index["data"]), np.asarray(index["indices"]), indptr)

    def __len__(self) -> int:
        return self._size

    def knows(self, term: str) -> bool:
        """Does the term occur in any of the texts?"""
        return term in self._idf

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def scores(self, query_tokens: Iterable[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every text for the query (zeros when no term is known)."""
        known = [t for t in query_tokens if t in self._idf]
        if not known or self._size == 0:
            return np.zeros(self._size, dtype=np.float32)
        vocab, data, indices, indptr = self._columns
        out = np.zeros(self._size, dtype=np.float32)
        for term in known:  # a repeated term counts again, as in bm25s
            start, end = indptr[vocab[term]], indptr[vocab[term] + 1]
            out[indices[start:end]] += data[start:end]
        return out

    def contains(self, term: str) -> npt.NDArray[np.bool_]:
        """Which texts contain ``term``: its posting list in the BM25 index."""
        if term not in self._idf:
            return np.zeros(self._size, dtype=bool)
        vocab, _, indices, indptr = self._columns
        out = np.zeros(self._size, dtype=bool)
        out[indices[indptr[vocab[term]] : indptr[vocab[term] + 1]]] = True
        return out

    def overlaps(
        self,
        query_tokens: Sequence[str],
        windows: Sequence[Sequence[npt.NDArray[np.int64]]],
    ) -> npt.NDArray[np.float64]:
        """Share of the query's IDF mass found in each window of texts, in [0, 1]: one row
        per window, one column per candidate.

        A window is a list of equal-length arrays of text indices; entry ``i`` is over the
        union of the tokens of texts ``window[j][i]`` (a sentence alone: ``[rows]``; with its
        neighbours: ``[rows, prev_rows, next_rows]``). One pass over each query term's
        postings, however many candidates and windows."""
        query = sorted(set(query_tokens))
        n = len(windows[0][0]) if windows and windows[0] else 0
        total = sum(self.idf(t) for t in query)
        found = np.zeros((len(windows), n), dtype=np.float64)
        if not query or not total or n == 0:
            return found
        for term in query:
            if term not in self._idf:
                continue  # unknown: part of the query's mass, present nowhere
            contains = self.contains(term)
            for w, window in enumerate(windows):
                present = np.zeros(n, dtype=bool)
                for rows in window:
                    present |= contains[rows]
                found[w] += self._idf[term] * present
        return found / total
