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
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from answer_latency import SQUAD

from index.build import build_index
from index.config import ChunkingSettings
from index.embedding import load_embedder
from index.multilingual import UseEmbedder
from index.store import load_version


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
    print(f"(incremental run: {one.line()}; backend {args.backend})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
