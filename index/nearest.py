"""The nearest of many vectors to a few queries, exactly, when only a neighbour at least
``floor`` similar counts (the word translation's question: which of the vocabulary's words is
nearest to this one, if any is close enough?).

One pass over every vector costs the whole matrix's bytes for each question: 20,000 words of
512 float32s take 5 ms here, a 60,000-word vocabulary 25 ms. ``BoundedNearest`` reads a
low-rank copy instead and reads the full vectors of only the rows that can still reach the
floor. With an orthonormal basis ``P`` of ``RANK`` columns, a vector is ``v = P Pᵀv + r``
with ``r`` orthogonal to ``P``, so ``q·v = (Pᵀq)·(Pᵀv) + r_q·r_v`` and, by Cauchy–Schwarz,
``q·v ≤ (Pᵀq)·(Pᵀv) + |r_q| |r_v|``: a row whose bound is under the floor cannot be the
answer, and the others are scored exactly. The result is the full pass's, whatever basis is
used (a better one only prunes more): it is taken from the top principal directions of a
fixed sample of the rows. On USE vectors of 20,000 words, about 100 rows of 20,000 are left
to score for a typical word (1 ms for three words against 5 ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

#: Columns of the low-rank copy (of 512 for USE): the bound's width against its reading cost.
RANK = 96
#: Rows the basis is taken from (every n-th row: fixed, no randomness).
SAMPLE = 4096
#: Below this many rows (or dimensions), the full pass is as cheap: no copy is made.
SMALL = 2048
#: The bound is widened by this much (times the query's and the longest row's lengths)
#: against float rounding: a row's length outside the basis, sqrt(|v|² − |Pᵀv|²), loses most
#: of its digits when it is small (float32 sums of 512 products: ~1e-6 under the root).
_SLACK = 2e-3


@dataclass(frozen=True)
class BoundedNearest:
    """``vectors``' rows, with their low-rank copy (``basis``: none for a small matrix)."""

    vectors: FloatArray
    basis: FloatArray | None
    projected: FloatArray
    residual: FloatArray  # each row's length outside the basis
    longest: float = 1.0  # the longest row's length (the slack scales with it)

    @classmethod
    def of(cls, vectors: FloatArray) -> BoundedNearest:
        vectors = np.asarray(vectors, dtype=np.float32)
        n, dimension = vectors.shape if vectors.ndim == 2 else (0, 0)
        empty = np.zeros((n, 0), dtype=np.float32)
        if n < SMALL or dimension <= 2 * RANK:
            return cls(vectors, None, empty, np.zeros(n, dtype=np.float32))
        sample = np.asarray(vectors[:: max(1, n // SAMPLE)], dtype=np.float64)
        sample = sample[np.isfinite(sample).all(axis=1)]  # (a damaged row is never a match)
        _, directions = np.linalg.eigh(sample.T @ sample)  # ascending eigenvalues
        basis = np.ascontiguousarray(directions[:, ::-1][:, :RANK], dtype=np.float32)
        projected = np.ascontiguousarray(vectors @ basis)
        lengths = np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)
        lengths = lengths[np.isfinite(lengths)]
        longest = float(np.sqrt(lengths.max())) if len(lengths) else 1.0
        return cls(vectors, basis, projected, _outside(vectors, projected), longest)

    def nearest(
        self, queries: FloatArray, floor: float, barred: Sequence[bool] = ()
    ) -> list[int | None]:
        """For each query (row), the row of the vector most similar to it (inner product;
        the first on a tie) when that similarity is at least ``floor``, else None; a query
        marked in ``barred`` gets None."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.vectors.shape[1])
        out: list[int | None] = [None] * len(queries)
        wanted = [i for i in range(len(queries)) if not (i < len(barred) and barred[i])]
        if not wanted or not len(self.vectors):
            return out
        if self.basis is None:
            sims = self.vectors @ queries[wanted].T
            for column, i in enumerate(wanted):
                best = int(np.argmax(sims[:, column]))
                out[i] = best if float(sims[best, column]) >= floor else None
            return out
        low = queries[wanted] @ self.basis
        bound = self.projected @ low.T + np.outer(self.residual, _outside(queries[wanted], low))
        lengths = np.linalg.norm(queries[wanted].astype(np.float64), axis=1)
        slack = _SLACK * lengths * self.longest
        for column, i in enumerate(wanted):
            rows = np.flatnonzero(bound[:, column] >= floor - slack[column])
            if not len(rows):
                continue
            sims = self.vectors[rows] @ queries[i]
            best = int(np.argmax(sims))
            out[i] = int(rows[best]) if float(sims[best]) >= floor else None
        return out


def _outside(vectors: FloatArray, projected: FloatArray) -> FloatArray:
    """Each row's length outside the basis: sqrt(|v|² − |Pᵀv|²)."""
    inside = np.einsum("ij,ij->i", projected, projected, dtype=np.float64)
    total = np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)
    return np.asarray(np.sqrt(np.maximum(total - inside, 0.0)), dtype=np.float32)
