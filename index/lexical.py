"""Lexical side of retrieval: one tokenizer for everything, BM25 (bm25s) and IDF overlap."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

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


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed word tokens."""
    words = [w for w in _WORD.findall(text.casefold().replace("’", "'")) if w not in _STOPWORDS]
    if not words:
        return []
    stems: list[str] = _stemmer().stemWords(words)  # type: ignore[attr-defined]
    return stems


class Bm25:
    """BM25 over a list of texts, with the document frequencies kept for IDF overlap."""

    def __init__(self, texts: Sequence[str], *, tokens: Sequence[list[str]] | None = None) -> None:
        """Index ``texts``; or pass their ``tokens`` (from ``tokenize``) when already known."""
        import bm25s

        if tokens is None:
            tokens = [tokenize(t) for t in texts]
        self._size = len(tokens)
        df: Counter[str] = Counter()
        for toks in tokens:
            df.update(set(toks))
        self._idf = {
            term: math.log(1 + (self._size - n + 0.5) / (n + 0.5)) for term, n in df.items()
        }
        self._unknown_idf = math.log(1 + (self._size + 0.5) / 0.5)
        self._model = bm25s.BM25()
        # bm25s needs at least one token per document to build its vocabulary.
        self._model.index([t or ["\u2205"] for t in tokens], show_progress=False)
        # bm25s computes and holds the BM25 weights: one column of a CSC matrix per term, one
        # entry per text that holds it. Queries read those columns here: bm25s's own
        # ``get_scores`` accumulates them with ``np.add.at``, which was the largest share of a
        # question's Python time under concurrent load (py-spy); a term's column names each
        # text once, so plain indexed addition is exact. Variants that add a score for absent
        # terms (BM25L, BM25+) keep bm25s's own path.
        index = self._model.scores
        self._columns: tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray] | None = None
        if getattr(self._model, "nonoccurrence_array", None) is None and {
            "data",
            "indices",
            "indptr",
        } <= set(index):
            self._columns = (
                self._model.vocab_dict,
                np.asarray(index["data"]),
                np.asarray(index["indices"]),
                np.asarray(index["indptr"]),
            )

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
        if self._columns is None:
            return np.asarray(self._model.get_scores(known), dtype=np.float32)
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
        if self._columns is None:
            return np.asarray(self._model.get_scores([term])) > 0
        vocab, _, indices, indptr = self._columns
        out = np.zeros(self._size, dtype=bool)
        out[indices[indptr[vocab[term]] : indptr[vocab[term] + 1]]] = True
        return out

    def overlaps(
        self, query_tokens: Sequence[str], groups: Sequence[npt.NDArray[np.int64]]
    ) -> npt.NDArray[np.float64]:
        """Share of the query's IDF mass found in each text group, in [0, 1].

        ``groups`` holds equal-length arrays of text indices; entry ``i`` of the result is
        over the union of the tokens of texts ``groups[j][i]`` (a sentence alone: one group;
        a sentence and its neighbours: three). One pass over each query term's postings,
        however many candidates."""
        query = sorted(set(query_tokens))
        n = len(groups[0]) if groups else 0
        total = sum(self.idf(t) for t in query)
        found = np.zeros(n, dtype=np.float64)
        if not query or not total or n == 0:
            return found
        for term in query:
            if term not in self._idf:
                continue  # unknown: part of the query's mass, present nowhere
            contains = self.contains(term)
            present = np.zeros(n, dtype=bool)
            for rows in groups:
                present |= contains[rows]
            found += self._idf[term] * present
        return found / total
