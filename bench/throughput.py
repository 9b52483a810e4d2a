"""Benchmark 2: throughput with 32 concurrent askers, through the bot's own path.

    .venv/bin/python bench/throughput.py [--chunks 10000] [--questions 200] [--askers 32]

Same ~10,000-chunk index as ``answer_latency.py`` (SQuAD paragraphs; document vectors from a
fast hashing embedder of the model's dimension, questions encoded by the real model).

The path is ``bot.service.AnswerService.ask`` — what every bot handler awaits: a worker thread,
the engine's answer cache, the answerer's micro-batched encode and dense search
(``index.batching``), then the per-question hybrid scoring.

Measured for torch (the baseline) and for each of ``--backends`` (onnx, onnx-int8: see
``bench/backends.py``); every rate is also given against torch's ``ask()`` one at a time.

Printed, all in the same run:
* reference: ``model.encode([q])`` one by one, and the same questions as one batch (q/s);
* baseline: the questions answered one at a time through ``ask`` (q/s);
* concurrent: ``--askers`` tasks asking distinct questions (no cache hits possible), q/s and
  the ratio to the baseline, with the mean micro-batch size;
* agreement: the share of questions whose first quote is the same both ways;
* cache: a popular-questions mix (each question asked several times) through ``ask``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from answer_latency import make_corpus

from bot.service import AnswerService
from index.build import build_index
from index.config import ChunkingSettings, Settings
from index.embedding import (
    Embedder,
    HashingEmbedder,
    Vectors,
    WrappingEmbedder,
    load_embedder,
)
from index.process import prepare_process
from index.types import Answer


class SplitEmbedder(WrappingEmbedder):
    """Documents through the fast hashing embedder, questions through the real model.

    The build embeds chunks and sentences in large batches; answering embeds questions. Only
    question encoding is on the measured path, and it is the real model's."""

    def __init__(self, model: Embedder, fast: HashingEmbedder) -> None:
        super().__init__(model)
        self.model = model
        self.fast = fast
        self.building = True

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        if self.building:
            return self.fast.encode(texts)
        return self.model.encode(texts)


def first_quote(answer: Answer) -> tuple[str, int] | None:
    return (answer.passages[0].source, answer.passages[0].start) if answer.passages else None


@dataclass(frozen=True)
class Measured:
    backend: str
    one_by_one: float
    batch: float
    sequential: float
    concurrent: float
    mean_batch: float
    cached: float
    same: int
    popular: int
    asked: int


async def measure(args: argparse.Namespace, backend: str) -> Measured:
    """Every rate of the docstring, with questions encoded by ``backend``."""
    model = load_embedder("all-MiniLM-L6-v2", backend, Path(".verbatim/models"))
    embedder = SplitEmbedder(model, HashingEmbedder(dimension=model.dimension, name=model.name))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        questions = make_corpus(settings.corpus_dir, args.chunks)
        build_index(settings.corpus_dir, settings.index_dir, embedder, ChunkingSettings())
        embedder.building = False
        rng = random.Random(7)
        sample = rng.sample(sorted(set(questions)), args.questions + 40)
        warm, sample = sample[:40], sample[40:]

        service = AnswerService(settings, embedder)
        await service.start(reload_seconds=3600)
        engine = service.engine
        for q in warm:
            await service.ask(q, k=1)

        t0 = time.perf_counter()
        for q in sample:
            model.encode([q])
        one_by_one = len(sample) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.encode(sample)
        batch = len(sample) / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        sequential = {q: await service.ask(q, k=1) for q in sample}
        baseline = len(sample) / (time.perf_counter() - t0)

        engine._cache.clear()  # distinct questions again, none served from the cache
        hits_before = engine.cache_hits
        batcher = engine.answerer._dense
        batches0, items0 = batcher.batches, batcher.items
        queue: asyncio.Queue[str] = asyncio.Queue()
        for q in sample:
            queue.put_nowait(q)
        concurrent: dict[str, Answer] = {}

        async def asker() -> None:
            while not queue.empty():
                q = queue.get_nowait()
                concurrent[q] = await service.ask(q, k=1)

        t0 = time.perf_counter()
        await asyncio.gather(*(asker() for _ in range(args.askers)))
        rate = len(sample) / (time.perf_counter() - t0)
        assert engine.cache_hits == hits_before, "distinct questions must not hit the cache"
        batches = batcher.batches - batches0
        mean_batch = (batcher.items - items0) / max(batches, 1)
        same = sum(first_quote(concurrent[q]) == first_quote(sequential[q]) for q in sample)

        engine._cache.clear()
        popular = rng.sample(sample, max(1, len(sample) // 8))
        mix = [rng.choice(popular) for _ in range(len(sample))]
        t0 = time.perf_counter()
        for q in mix:
            await service.ask(q, k=1)
        cached_rate = len(mix) / (time.perf_counter() - t0)
        await service.stop()
    return Measured(
        backend,
        one_by_one,
        batch,
        baseline,
        rate,
        mean_batch,
        cached_rate,
        same,
        len(popular),
        len(sample),
    )


async def run(args: argparse.Namespace) -> None:
    runs = [await measure(args, backend) for backend in ("torch", *args.backends)]
    baseline = runs[0].sequential  # ask() one at a time, torch: what every rate is against
    print(f"index: about {args.chunks} chunks, {args.questions} questions, {args.askers} askers")
    print()
    print(f"{'path':62} {'q/s':>8} {'× baseline':>11}")
    for m in runs:
        b = m.backend
        print(f"{f'[{b}] model.encode([q]) one by one (reference)':62} {m.one_by_one:8.1f}")
        print(f"{f'[{b}] model.encode(all questions) as one batch (reference)':62} {m.batch:8.1f}")
        label = f"[{b}] ask() one at a time" + (" (baseline)" if m is runs[0] else "")
        print(f"{label:62} {m.sequential:8.1f} {m.sequential / baseline:11.2f}")
        label = f"[{b}] {args.askers} concurrent askers (mean micro-batch {m.mean_batch:.1f})"
        print(f"{label:62} {m.concurrent:8.1f} {m.concurrent / baseline:11.2f}")
        label = f"[{b}] one at a time, {m.popular} popular questions (cache)"
        print(f"{label:62} {m.cached:8.1f} {m.cached / baseline:11.2f}")
    print()
    for m in runs:
        print(
            f"[{m.backend}] first quote identical, concurrent vs one at a time: {m.same}/{m.asked}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--askers", type=int, default=32)
    parser.add_argument(
        "--backends",
        nargs="*",
        default=["onnx", "onnx-int8"],
        help="backends measured beside torch (which is always measured: the baseline)",
    )
    args = parser.parse_args()
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    prepare_process()  # as the verbatim command does: index.process
    sys.exit(main())


_: type[Embedder] = SplitEmbedder  # it satisfies the protocol
