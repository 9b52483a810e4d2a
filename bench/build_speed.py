"""Benchmark 3: index build speed beside raw ``model.encode``, and incremental updates.

    .venv/bin/python bench/build_speed.py [--documents 100] [--paragraphs 10]

Corpus: ``--documents`` documents of ``--paragraphs`` SQuAD paragraphs each (``../shared/eval``).
Everything uses the real model. Printed, in the same run:

* raw: ``model.encode`` over the build's chunk texts (batch 64), chunks/s — the baseline;
* full build (``build_index(full=True)``: read, clean, split, embed, write, FAISS): chunks/s
  and the ratio to raw;
* incremental: one document of the ``--documents`` changed, and nothing changed: seconds and
  the share of the full build's time;
* the same full build with the multilingual space (``index.multilingual``, USE multilingual
  v3): seconds and the ratio to the full build without it (issue 14: ≤ 2×; on by default
  only below 1.5×).

``--backend`` runs the model on torch (the baseline of the earlier figures) or onnx (the
default of the product).

``--bf16`` adds, in the same run, the full build with the documents embedded by torch with its
matrix products in bfloat16 (``VERBATIM_BUILD_BACKEND=torch-bf16``; loading torch and the
model counted in its time) beside the full build on torch (issue 13's baseline), and the
cosine between its sentence vectors and the ``--backend`` build's.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from answer_latency import SQUAD

from index.build import build_index
from index.config import ChunkingSettings
from index.embedding import Embedder, load_embedder
from index.multilingual import UseEmbedder
from index.store import StoredIndex, load_version


def write_corpus(folder: Path, documents: int, paragraphs: int, seed: int = 3) -> None:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    pool = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(rng.sample(pool, paragraphs))
        (folder / f"doc{d:04d}.txt").write_text(f"Document {d}\n\n{body}\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--paragraphs", type=int, default=10)
    parser.add_argument("--backend", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--bf16", action="store_true", help="the torch-bf16 rows (see above)")
    args = parser.parse_args()
    model = load_embedder("all-MiniLM-L6-v2", args.backend, Path(".verbatim/models"))
    multilingual = UseEmbedder()
    multilingual.encode(["warm up the model"])
    chunking = ChunkingSettings()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        write_corpus(corpus, args.documents, args.paragraphs)
        model.encode(["warm up the model"])

        t0 = time.perf_counter()
        full = build_index(corpus, index, model, chunking, full=True)
        full_s = time.perf_counter() - t0
        stored = load_version(index)
        docs = {d.doc_id: d for d in stored.documents}
        chunk_texts = [c.chunk_text(docs[c.doc_id]) for c in stored.chunks]
        n_sent = len(stored.sentences)

        t0 = time.perf_counter()
        model.encode(chunk_texts)
        raw_s = time.perf_counter() - t0

        changed = corpus / "doc0042.txt"
        changed.write_text(changed.read_text(encoding="utf-8") + "\nA new closing line.\n")
        t0 = time.perf_counter()
        one = build_index(corpus, index, model, chunking)
        one_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_index(corpus, index, model, chunking)
        none_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        build_index(corpus, Path(tmp) / "ml", model, chunking, full=True, multilingual=multilingual)
        ml_s = time.perf_counter() - t0
        bf16 = (
            _bf16_rows(corpus, Path(tmp), model, chunking, load_version(index)) if args.bf16 else []
        )

    chunks = full.chunks
    print(f"corpus: {args.documents} documents, {chunks} chunks, {n_sent} sentences")
    print()
    print(f"{'':44} {'seconds':>8} {'chunks/s':>9} {'ratio':>8}")
    print(f"{'raw model.encode(chunk texts) (baseline)':44} {raw_s:8.2f} {chunks / raw_s:9.1f}")
    ratio = (chunks / full_s) / (chunks / raw_s)
    print(f"{'full build':44} {full_s:8.2f} {chunks / full_s:9.1f} {ratio:7.2f}×")
    label = f"1 of {args.documents} documents changed"
    print(f"{label:44} {one_s:8.2f} {'':9} {one_s / full_s:7.1%}")
    print(f"{'nothing changed':44} {none_s:8.2f} {'':9} {none_s / full_s:7.1%}")
    print(
        f"{'full build with the multilingual space':44} {ml_s:8.2f} {chunks / ml_s:9.1f} "
        f"{ml_s / full_s:7.2f}× the time"
    )
    for label, seconds, note in bf16:
        print(f"{label:44} {seconds:8.2f} {chunks / seconds:9.1f} {note}")
    print(f"(incremental run: {one.line()}; backend {args.backend})")
    return 0


def _bf16_rows(
    corpus: Path, tmp: Path, model: Embedder, chunking: ChunkingSettings, built: StoredIndex
) -> list[tuple[str, float, str]]:
    """The full build on torch, and with the documents embedded by torch-bf16 (importing torch
    and loading the model inside the timing, as a build of the onnx backend does), and how
    close its vectors are to ``built``'s."""
    fresh = "torch" not in sys.modules

    def bf16(_sentences: int) -> Embedder:
        return load_embedder("all-MiniLM-L6-v2", "torch-bf16")

    t0 = time.perf_counter()
    build_index(corpus, tmp / "bf16", model, chunking, full=True, documents_embedder=bf16)
    bf16_s = time.perf_counter() - t0  # first: torch imported inside its time
    t0 = time.perf_counter()
    torch_model = load_embedder("all-MiniLM-L6-v2", "torch")
    build_index(corpus, tmp / "torch", torch_model, chunking, full=True)
    torch_s = time.perf_counter() - t0

    cos = np.sum(load_version(tmp / "bf16").sentence_vectors * built.sentence_vectors, axis=1)
    return [
        ("full build on torch (issue 13's baseline)", torch_s, "(model load included)"),
        (
            "full build, documents in torch-bf16",
            bf16_s,
            f"{torch_s / bf16_s:7.2f}× torch's chunks/s (load included, torch imported: "
            f"{'yes' if fresh else 'no, already'}); sentence vectors' "
            f"cosine to the first build's min {cos.min():.5f}, mean {cos.mean():.6f}",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
