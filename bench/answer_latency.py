"""Benchmark 1: answer() latency on a ~10,000-chunk index beside a naive baseline, same run.

    .venv/bin/python bench/answer_latency.py [--chunks 10000] [--questions 200]

Corpus: SQuAD paragraphs (``../shared/eval``) re-assembled into many documents until the index
holds about ``--chunks`` chunks. Document and sentence vectors come from a fast hashing
embedder with the real model's dimension (their values do not change the cost of a search);
questions are encoded with the real model, as in the bot.

Baseline: ``model.encode([q])`` + flat FAISS inner-product search over the chunk vectors +
take the first chunk. System: ``Answerer.answer(q)`` — hybrid retrieval, sentence scoring,
window and highlight. Prints p50/p95 of both and their ratio.

Cross-lingual (issue 14): the same index with a multilingual space (hashing vectors of USE's
dimension, named as USE so the real encoder searches it; its words' vectors real USE ones, so
that the questions are put into the documents' words), asked MLQA's questions in German
(the multilingual path) and the same questions in English (the main path), onnx backend:
answer() p50 of each and their ratio (target ≤ 2×).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.answering import Answerer
from index.build import build_index
from index.config import ChunkingSettings
from index.embedding import Embedder, HashingEmbedder, load_embedder
from index.multilingual import USE_MODEL, UseEmbedder
from index.process import prepare_process
from index.store import StoredIndex, load_version
from index.translation import embed_vocabulary

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SQUAD = EVAL / "squad2-dev-subset.json"
MLQA = EVAL / "mlqa-dev" / "context-en-question-{}.json"


def make_corpus(folder: Path, target_chunks: int, seed: int = 0) -> list[str]:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    paragraphs = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    questions = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    # ~1.6 chunks per paragraph at 500 characters with overlap.
    n_docs = max(1, target_chunks // 16)
    for d in range(n_docs):
        body = "\n\n".join(rng.sample(paragraphs, 10))
        (folder / f"doc{d:05d}.txt").write_text(f"Document {d}\n\n{body}\n", encoding="utf-8")
    return questions


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--backends", nargs="*", default=["onnx", "onnx-int8"])
    args = parser.parse_args()
    models = {
        b: load_embedder("all-MiniLM-L6-v2", b, Path(".verbatim/models"))
        for b in ("torch", *args.backends)
    }
    model = models["torch"]
    fast = HashingEmbedder(dimension=model.dimension, name=model.name)
    results: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        questions = make_corpus(corpus, args.chunks)
        t0 = time.perf_counter()
        fast_ml = HashingEmbedder(dimension=512, name=USE_MODEL)
        build_index(corpus, Path(tmp) / "index", fast, ChunkingSettings(), multilingual=fast_ml)
        stored = load_version(Path(tmp) / "index")
        t1 = time.perf_counter()
        print(
            f"index: {len(stored.chunks)} chunks, {len(stored.sentences)} sentences "
            f"(built in {t1 - t0:.1f} s with the fast embedder)"
        )
        sample = random.Random(1).sample(questions, args.questions)
        for backend, embedder in models.items():
            answerer = Answerer(stored, embedder)
            for q in sample[:10]:  # warm-up
                answerer.answer(q)
                embedder.encode([q])
            base, system = [], []
            docs = {d.doc_id: d for d in stored.documents}
            for q in sample:
                s = time.perf_counter()
                qv = embedder.encode([q])
                _, ids = stored.faiss_index.search(qv, 1)
                chunk = stored.chunks[int(ids[0][0])]
                _ = chunk.chunk_text(docs[chunk.doc_id])
                base.append((time.perf_counter() - s) * 1000)
                s = time.perf_counter()
                answerer.answer(q)
                system.append((time.perf_counter() - s) * 1000)
            results[backend] = (base, system)
        crosslingual = _crosslingual(stored, models.get("onnx") or model, args.questions)
    torch_base, torch_system = results["torch"]
    b50, b95 = percentile(torch_base, 50), percentile(torch_base, 95)
    print(f"{'':<40}{'p50 ms':>10}{'p95 ms':>10}{'× torch answer() p50':>22}")
    t50 = percentile(torch_system, 50)
    for backend, (base, system) in results.items():
        for label, values in (
            (f"[{backend}] encode+flat search", base),
            (f"[{backend}] answer()", system),
        ):
            p50, p95 = percentile(values, 50), percentile(values, 95)
            print(f"{label:<40}{p50:>10.2f}{p95:>10.2f}{p50 / t50:>22.2f}")
    s50, s95 = t50, percentile(torch_system, 95)
    print(
        f"torch: answer() vs its encode+flat search: p50 {s50 / b50:.2f}×, p95 {s95 / b95:.2f}× "
        f"(target p50 ≤ 1.5×); mean {statistics.mean(torch_system):.2f} ms over "
        f"{len(torch_system)} questions"
    )
    for backend, (base, system) in list(results.items())[1:]:
        p50 = percentile(system, 50)
        print(
            f"{backend}: answer() p50 {p50 / t50:.2f}× torch's (target ≤ 0.6×); "
            f"{p50 / percentile(base, 50):.2f}× its own encode+flat search"
        )
    english, german = crosslingual
    e50, g50 = percentile(english, 50), percentile(german, 50)
    print(
        f"cross-lingual: answer() p50 {g50:.2f} ms for {len(german)} German questions "
        f"(multilingual path), {e50:.2f} ms for the same in English: {g50 / e50:.2f}× "
        "(target ≤ 2×)"
    )
    return 0


def _crosslingual(stored: StoredIndex, embedder: Embedder, n: int) -> tuple[list[float], ...]:
    """answer() times of MLQA questions in English and the same in German."""
    asked = {}
    for language in ("en", "de"):
        data = json.loads(Path(str(MLQA).format(language)).read_text(encoding="utf-8"))
        asked[language] = {
            q["id"]: q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]
        }
    ids = sorted(set(asked["en"]) & set(asked["de"]))
    ids = random.Random(2).sample(ids, min(n, len(ids)))
    use = UseEmbedder()
    # the documents' words in USE's real space, so that questions are put into them
    # (index.translation) as in the product, second encode and all
    ml = stored.multilingual
    assert ml is not None and ml.vocabulary is not None
    words = embed_vocabulary(ml.vocabulary.words, ml.vocabulary.documents, use)
    stored = replace(stored, multilingual=replace(ml, vocabulary=words))
    answerer = Answerer(stored, embedder, multilingual=use)
    out = []
    for language in ("en", "de"):
        times = []
        for i in ids[:10]:  # warm-up
            answerer.answer(asked[language][i])
        for i in ids:
            s = time.perf_counter()
            answerer.answer(asked[language][i])
            times.append((time.perf_counter() - s) * 1000)
        out.append(times)
    return tuple(out)


if __name__ == "__main__":
    prepare_process()  # as the verbatim command does: index.process
    sys.exit(main())
