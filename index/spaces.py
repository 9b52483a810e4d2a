"""The vector spaces retrieval reads its dense evidence from: one embedding of the index's
sentences and chunks (``VectorSpace``: the main model's, or the multilingual encoder's), or two
of them read as one (``FusedSpace``: the multilingual path, ``index.translation``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class VectorSpace:
    """One embedding of the index's sentences and chunks: the main model's (searched with the
    version's FAISS index), or the multilingual encoder's (``index.multilingual``; its chunks
    searched exactly, or beyond ``ann.AnnSettings.exact_max`` chunks through its own index)."""

    name: str
    sentence_vectors: FloatArray
    chunk_vectors: FloatArray
    faiss_index: Any = None

    @property
    def dimension(self) -> int:
        return int(self.sentence_vectors.shape[1]) if self.sentence_vectors.ndim == 2 else 0

    def all_sentences(self, queries: FloatArray) -> FloatArray:
        """Cosine of every sentence (rows) with every query (columns)."""
        return np.asarray(self.sentence_vectors @ queries.T, dtype=np.float32)

    def sentences(self, rows: npt.NDArray[np.int64], query: FloatArray) -> FloatArray:
        """Cosine of the sentences ``rows`` with one query."""
        return np.asarray(self.sentence_vectors[rows] @ query, dtype=np.float32)

    def chunks(self, rows: npt.NDArray[np.int64], query: FloatArray) -> FloatArray:
        """Cosine of the chunks ``rows`` with one query."""
        return np.asarray(self.chunk_vectors[rows] @ query, dtype=np.float32)

    def nearest_chunks(self, queries: FloatArray, k: int) -> npt.NDArray[np.int64]:
        """The ``k`` nearest chunks of each query (rows; -1 pads)."""
        if self.faiss_index is not None:
            _, ids = self.faiss_index.search(queries, k)
            return np.asarray(ids, dtype=np.int64)
        return _best_columns(queries @ np.asarray(self.chunk_vectors).T, k)


@dataclass(frozen=True)
class FusedSpace:
    """Two spaces read as one: a query is the two spaces' query vectors end to end, and its
    similarity to a sentence or chunk is ``(1 - weight)`` times the first's cosine plus
    ``weight`` times the second's. The multilingual path reads the multilingual encoder's
    cosines fused with the main model's of the question put in the documents' words
    (``index.translation``)."""

    first: VectorSpace
    second: VectorSpace
    weight: float

    @property
    def name(self) -> str:
        return f"{self.first.name}+{self.second.name}"

    @property
    def dimension(self) -> int:
        return self.first.dimension + self.second.dimension

    def _split(self, queries: FloatArray) -> tuple[FloatArray, FloatArray]:
        cut = self.first.dimension
        return (
            np.ascontiguousarray(queries[..., :cut]),
            np.ascontiguousarray(queries[..., cut:]),
        )

    def _mix(self, a: FloatArray, b: FloatArray) -> FloatArray:
        return ((1.0 - self.weight) * a + self.weight * b).astype(np.float32)

    def all_sentences(self, queries: FloatArray) -> FloatArray:
        a, b = self._split(queries)
        return self._mix(self.first.all_sentences(a), self.second.all_sentences(b))

    def sentences(self, rows: npt.NDArray[np.int64], query: FloatArray) -> FloatArray:
        a, b = self._split(query)
        return self._mix(self.first.sentences(rows, a), self.second.sentences(rows, b))

    def chunks(self, rows: npt.NDArray[np.int64], query: FloatArray) -> FloatArray:
        a, b = self._split(query)
        return self._mix(self.first.chunks(rows, a), self.second.chunks(rows, b))

    def nearest_chunks(self, queries: FloatArray, k: int) -> npt.NDArray[np.int64]:
        """The first space's ``k`` nearest chunks, ordered by the fused similarity. The
        second's own nearest are not searched: on the multilingual path its query is the
        question put word for word into the documents' words, whose chunks the lexical
        evidence brings in too. Searching them cost 1.6 ms of a 14.9 ms cross-lingual answer
        (13,690 chunks); leaving them out moved no ``make eval`` figure by more than one
        question (with the same scorer, before it was trained again on this path)."""
        a, _ = self._split(queries)
        found = self.first.nearest_chunks(a, k)
        out = np.full((len(queries), k), -1, dtype=np.int64)
        for i, ids in enumerate(found):
            ids = np.unique(ids[ids >= 0])
            best = ids[np.argsort(-self.chunks(ids, queries[i]), kind="stable")[:k]]
            out[i, : len(best)] = best
        return out


#: Either kind of space: what retrieval reads the dense evidence from.
Space = VectorSpace | FusedSpace


def _best_columns(sims: FloatArray, k: int) -> npt.NDArray[np.int64]:
    """The ``k`` largest columns of each row, best first."""
    k = min(k, sims.shape[1])
    if k == 0:
        return np.full((len(sims), 0), -1, dtype=np.int64)
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1).astype(np.int64)
