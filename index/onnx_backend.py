"""The embedding model on ONNX Runtime (``VERBATIM_BACKEND=onnx`` or ``onnx-int8``): the
export made by ``index.onnx_export``, run with the model's own tokenizer — no torch, no
transformers, no sentence-transformers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from index.embedding import NamedEmbedder, Vectors
from index.errors import ConfigError
from index.onnx_export import ONNX_BACKENDS, ensure_export

__all__ = ["ONNX_BACKENDS", "OnnxEmbedder"]


class OnnxEmbedder(NamedEmbedder):
    """The model's export on ONNX Runtime: the same vectors as ``SentenceTransformerEmbedder``
    (float32: to 1e-5; int8: see the README's Performance section), a fraction of the cost."""

    def __init__(
        self,
        model: str,
        backend: str,
        cache_dir: Path,
        *,
        batch_size: int = 64,
        batch_tokens: int = 1024,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        folder = ensure_export(model, backend, cache_dir)
        details: dict[str, Any] = json.loads((folder / "export.json").read_text("utf-8"))
        self._name = model
        self._backend = backend
        self._batch_size = batch_size
        # The graph's attention is not fused: a batch holds (rows × tokens²) scores per head,
        # so long texts go in smaller batches (64 chunks of 256 tokens peaked at 1.2 GB; by
        # measurement, 1,024 padded tokens a batch is both the fastest and the lightest).
        self._batch_tokens = batch_tokens
        self._inputs = tuple(details["inputs"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(int(details["max_tokens"]))
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The pool's threads spin a moment after a run, waiting for the next (ONNX Runtime's
        # default, kept by measurement: answer() p50 6.1 ms against 7.0 ms with them asleep;
        # 32 concurrent askers 168 q/s against 195, far above the ~30 answers/s Telegram lets
        # a bot send, so the latency is what users feel).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        try:
            self._session = onnxruntime.InferenceSession(
                str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # a damaged export: say where it is
            raise ConfigError(
                f"cannot load the ONNX export in {folder} ({exc}): delete that folder and it "
                "is made again"
            ) from None
        # The export leaves only the batch axis free: the width is in the graph.
        self._dimension = int(self._session.get_outputs()[0].shape[1])
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode")

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return self._worker.submit(self._encode, texts, show_progress).result()

    def _encode(self, texts: list[str], show_progress: bool) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        # Batches of similar lengths (as sentence-transformers does): little padding.
        order = [int(i) for i in np.argsort([-len(e.ids) for e in encodings], kind="stable")]
        out = np.empty((len(texts), self._dimension), dtype=np.float32)
        batches = list(self._batches(order, [len(e.ids) for e in encodings]))
        if show_progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="Batches", unit="batch")
        for rows in batches:
            out[rows] = self._run_encodings([encodings[i] for i in rows])
        return out

    def _batches(self, order: list[int], lengths: list[int]) -> Iterator[list[int]]:
        """``order`` (longest first) cut into batches of at most ``batch_size`` rows and
        ``batch_tokens`` padded tokens (one text alone whatever its length)."""
        batch: list[int] = []
        for i in order:
            width = lengths[batch[0]] if batch else lengths[i]  # the batch's longest
            full = len(batch) >= self._batch_size or (len(batch) + 1) * width > self._batch_tokens
            if batch and full:
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _run_encodings(self, encodings: list[Any]) -> Vectors:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (vectors,) = self._session.run(None, {name: feed[name] for name in self._inputs})
        return np.ascontiguousarray(vectors, dtype=np.float32)
