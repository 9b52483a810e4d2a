"""Benchmark 6: resident memory and start-up time with the model and a 100,000-chunk index.

    .venv/bin/python bench/startup_memory.py [--chunks 100000]

The index is built from SQuAD paragraphs re-assembled into documents (vectors from the fast
hashing embedder, named as the real model so the real model can load the index; their values
do not change memory or load time). Then, each in a fresh process, measured from outside:

* baseline: Python + the model loaded + one question encoded;
* ``verbatim ask --index DIR QUESTION``: process start to the first answer printed, with the
  model and the whole index (FAISS, vectors, BM25, sentence tables) loaded;

and each process's peak resident memory (``VmHWM``, read by the process itself). Prints
both and their ratios.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from answer_latency import make_corpus

from index.build import build_index
from index.config import ChunkingSettings
from index.embedding import HashingEmbedder
from index.store import load_version

PEAK = (
    "; import sys; print([l.split()[1] for l in open('/proc/self/status') "
    "if l.startswith('VmHWM')][0], file=sys.stderr)"
)
BASELINE = (
    "from index.embedding import SentenceTransformerEmbedder as S; "
    "S('all-MiniLM-L6-v2').encode(['When was Koryolink established?'])" + PEAK
)
ASK = "from index.cli import main; main(['ask', '--index', {index!r}, {question!r}])" + PEAK


def timed(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds from start to exit, peak RSS in MiB as the child saw it) of ``python -c``."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        questions = make_corpus(corpus, args.chunks)
        t0 = time.perf_counter()
        fake = HashingEmbedder(dimension=384, name="all-MiniLM-L6-v2")
        build_index(corpus, index, fake, ChunkingSettings())
        stored = load_version(index)
        print(
            f"index: {len(stored.chunks)} chunks, {len(stored.sentences)} sentences, "
            f"{sum(f.stat().st_size for f in stored.path.iterdir()) / 2**20:.0f} MiB on disk "
            f"(built in {time.perf_counter() - t0:.0f} s with the hashing embedder)"
        )
        del stored
        base_s, base_mb = timed(BASELINE, env)
        ask_s, ask_mb = timed(ASK.format(index=str(index), question=questions[0]), env)
    print()
    print(f"{'process':58} {'seconds':>8} {'peak RSS MiB':>13}")
    print(f"{'baseline: python + model + one encode':58} {base_s:8.1f} {base_mb:13.0f}")
    print(f"{'verbatim ask: model + index + first answer':58} {ask_s:8.1f} {ask_mb:13.0f}")
    print(f"{'ratio':58} {ask_s / base_s:7.2f}× {ask_mb / base_mb:12.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
