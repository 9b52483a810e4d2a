"""Benchmark 7: the embedding backends side by side — torch (sentence-transformers), onnx
(ONNX Runtime, float32) and onnx-int8 — in one run, each against torch.

    .venv/bin/python bench/backends.py [--questions 300] [--chunks 2000] [--quality]

Printed for each backend, with its ratio to torch measured in the same run:

* agreement: the cosine between its vectors and torch's, over SQuAD paragraphs and questions
  (``../shared/eval``; min and mean);
* one question: ``encode([q])`` p50 and p95 (ms), as the bot encodes a question;
* build: chunk texts encoded per second (the build's cost);
* start: a fresh process that loads the embedder and encodes one question (seconds, wall),
  and whether torch was imported;
* ``torch-bf16``: torch with its matrix products in bfloat16 (what ``VERBATIM_BUILD_BACKEND``
  embeds a large build's documents with on a CPU that multiplies bfloat16 in hardware);
* ``--quality``: the whole ``verbatim eval`` suite per backend (embeddings cached in
  ``.verbatim/eval-cache``) and, per backend, the largest difference from torch over every
  figure, with the five largest rows (the quality gate: every figure within 0.5 points).

ONNX exports are made in ``.verbatim/models`` the first time (a few seconds each).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from answer_latency import SQUAD, percentile

from index.embedding import Embedder, load_embedder
from index.process import prepare_process

BACKENDS = ("torch", "onnx", "onnx-int8", "torch-bf16")
CACHE = Path(".verbatim/models")
ROOT = Path(__file__).resolve().parent.parent
EVAL = SQUAD.parent


def texts_of_squad(seed: int = 5) -> tuple[list[str], list[str]]:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    paragraphs = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    questions = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    rng = random.Random(seed)
    return rng.sample(paragraphs, min(400, len(paragraphs))), rng.sample(questions, 1000)


def chunk_texts(paragraphs: list[str], count: int) -> list[str]:
    """Texts of a chunk's size (about 500 characters), as the build embeds."""
    pieces = [p[i : i + 500] for p in paragraphs for i in range(0, len(p), 400)]
    return (pieces * (count // max(1, len(pieces)) + 1))[:count]


def start_seconds(backend: str) -> tuple[float, bool]:
    """A fresh process: load the embedder, encode a question. (wall seconds, torch loaded)"""
    script = (
        "import sys; from pathlib import Path; from index.process import prepare_process; "
        "prepare_process(); from index.embedding import load_embedder; "
        f"e = load_embedder('all-MiniLM-L6-v2', {backend!r}, Path({str(CACHE)!r})); "
        "e.encode(['When was Koryolink established?']); print('torch' in sys.modules)"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return time.perf_counter() - started, out.stdout.strip().endswith("True")


def quality(backends: list[str]) -> None:
    from index.config import ChunkingSettings
    from index.evaluation import Budget, evaluate

    figures: dict[str, dict[tuple[str, ...], float]] = {}
    for backend in backends:
        started = time.perf_counter()
        report = evaluate(
            [EVAL, EVAL / "mlqa-dev" / "context-en-question-en.json"],  # as `make eval`
            load_embedder("all-MiniLM-L6-v2", backend, CACHE),
            ChunkingSettings(),
            budget=Budget(),
            cache_dir=ROOT / ".verbatim" / "eval-cache",
            progress=lambda _msg: None,
        )
        figures[backend] = {
            (r.set, r.mode, r.metric, r.baseline_name): r.system for r in report.rows
        }
        took = time.perf_counter() - started
        print(f"eval with {backend}: {len(report.rows)} figures, {took:.0f} s")
    torch = figures["torch"]
    for backend in backends[1:]:
        diffs = sorted(
            ((figures[backend][k] - v) * 100, k) for k, v in torch.items() if k in figures[backend]
        )
        worst = sorted(diffs, key=lambda d: -abs(d[0]))
        largest = abs(worst[0][0]) if worst else 0.0
        verdict = "within" if largest <= 0.5 + 1e-9 else "NOT within"  # 1 of 200 is 0.5
        print(f"{backend}: largest difference from torch {largest:.1f} points ({verdict} 0.5)")
        for points, key in worst[:5]:
            print(f"    {points:+.1f}  {' / '.join(k for k in key if k)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--quality", action="store_true", help="also the eval suite per backend")
    parser.add_argument(
        "--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS), help="torch always"
    )
    args = parser.parse_args()
    backends = ["torch", *(b for b in args.backends if b != "torch")]
    paragraphs, questions = texts_of_squad()
    agreement_texts = paragraphs[:200] + questions[:200]
    chunks = chunk_texts(paragraphs, args.chunks)
    asked = questions[: args.questions]
    embedders: dict[str, Embedder] = {
        b: load_embedder("all-MiniLM-L6-v2", b, CACHE) for b in backends
    }
    reference = embedders["torch"].encode(agreement_texts)
    rows = []
    for backend, embedder in embedders.items():
        vectors = embedder.encode(agreement_texts)
        cosines = (vectors * reference).sum(axis=1)
        for q in asked[:20]:  # warm-up
            embedder.encode([q])
        times = []
        for q in asked:
            t = time.perf_counter()
            embedder.encode([q])
            times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        embedder.encode(chunks)
        per_second = len(chunks) / (time.perf_counter() - t)
        start, torch_loaded = start_seconds(backend)
        rows.append(
            (
                backend,
                float(cosines.min()),
                float(cosines.mean()),
                percentile(times, 50),
                percentile(times, 95),
                per_second,
                start,
                torch_loaded,
                statistics.mean(times),
            )
        )
    base = rows[0]
    print(
        f"texts: {len(agreement_texts)} for agreement, {len(asked)} questions, {len(chunks)} chunks"
    )
    print()
    head = f"{'backend':<11}{'cos min':>8}{'cos mean':>9}{'q p50 ms':>10}{'q p95 ms':>10}"
    head += f"{'×torch':>8}{'chunks/s':>10}{'×torch':>8}{'start s':>9}{'×torch':>8}  torch?"
    print(head)
    for b, cmin, cmean, p50, p95, cps, start, loaded, _mean in rows:
        print(
            f"{b:<11}{cmin:8.4f}{cmean:9.4f}{p50:10.2f}{p95:10.2f}{p50 / base[3]:8.2f}"
            f"{cps:10.1f}{cps / base[5]:8.2f}{start:9.2f}{start / base[6]:8.2f}  "
            f"{'yes' if loaded else 'no'}"
        )
    if args.quality:
        print()
        quality(backends)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    prepare_process()
    sys.exit(main())
