"""What the system is measured against, and the embedding cache the evaluation runs on.

The naive baseline is what a first attempt at the product would be: fixed 500-character
chunks with 50 overlap, dense search only, the first chunk quoted and its most similar sentence
highlighted; it declines below a cosine of 0.4.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.build import embed_all
from index.chunking import split_sentences
from index.embedding import Embedder, Vectors, WrappingEmbedder

BASELINE_CHUNK = 500
BASELINE_OVERLAP = 50
BASELINE_DECLINE_COSINE = 0.4


@dataclass(frozen=True, slots=True)
class Ranking:
    """What a system returned for one question: passages best first, the first highlight,
    whether it answered (abstention on), and its confidence in the first passage if it has
    one."""

    passages: tuple[str, ...]
    highlight: str
    answered: bool
    confidence: float | None = None


class CachingEmbedder(WrappingEmbedder):
    """Remembers vectors by text, so folds and modes re-embed nothing already seen; with a
    ``folder``, across runs too (one ``.npz`` per model, written by ``save``)."""

    def __init__(self, inner: Embedder, folder: Path | None = None) -> None:
        super().__init__(inner)
        self._cache: dict[bytes, Vectors] = {}
        kind = "" if inner.backend in ("torch", "hashing") else f"-{inner.backend}"
        self._file = folder / f"{_safe(inner.name)}{kind}.npz" if folder else None
        self._loaded = 0
        if self._file is not None and self._file.exists():
            with np.load(self._file, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            if vectors.ndim == 2 and vectors.shape[1] == inner.dimension:
                self._cache = {bytes(k): v for k, v in zip(keys, vectors, strict=True)}
                self._loaded = len(self._cache)

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        keys = [_key(t) for t in texts]
        missing = list(
            dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._cache)
        )
        if missing:
            vectors = self.inner.encode(missing, show_progress=show_progress)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[_key(text)] = vector
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = self._cache[key]
        return out

    def save(self) -> None:
        """Write the cache (when it has a folder and grew)."""
        if self._file is None or len(self._cache) == self._loaded:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache), dtype="S20")
        vectors = np.stack(list(self._cache.values())).astype(np.float32)
        tmp = self._file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors)
        tmp.replace(self._file)
        self._loaded = len(self._cache)


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[-80:]


class NaiveBaseline:
    """Fixed-size character chunks, dense only, first chunk quoted."""

    def __init__(self, texts: Sequence[str], embedder: Embedder) -> None:
        import faiss

        self.embedder = embedder
        self.chunks: list[str] = []
        step = BASELINE_CHUNK - BASELINE_OVERLAP
        for text in texts:
            for lo in range(0, max(len(text) - BASELINE_OVERLAP, 1), step):
                self.chunks.append(text[lo : lo + BASELINE_CHUNK])
        vectors = embed_all(self.chunks, embedder)
        self.index = faiss.IndexFlatIP(embedder.dimension)
        self.index.add(vectors)

    def __call__(self, question: str) -> Ranking:
        q = self.embedder.encode([question])
        scores, ids = self.index.search(q, 10)
        passages = tuple(self.chunks[int(i)] for i in ids[0] if i >= 0)
        first = passages[0] if passages else ""
        spans = split_sentences(first)
        sentences = [first[s.start : s.end] for s in spans] or [first]
        sims = self.embedder.encode(sentences) @ q[0]
        highlight = sentences[int(np.argmax(sims))]
        return Ranking(passages, highlight, float(scores[0][0]) >= BASELINE_DECLINE_COSINE)
