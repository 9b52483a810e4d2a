"""Benchmark 6: resident memory and start-up time with the model and a 100,000-chunk index.

    .venv/bin/python bench/startup_memory.py [--chunks 100000]

The index is built from SQuAD paragraphs re-assembled into documents (vectors from the fast
hashing embedder, named as the real model so the real model can load the index; their values
do not change memory or load time). Then, each in a fresh process, measured from outside:

* baseline: Python + the model loaded + one question encoded;
* ``verbatim ask --index DIR QUESTION``: process start to the first answer printed, with the
  model and the whole index (FAISS, vectors, BM25, sentence tables) loaded — with torch and
  with each of ``--backends`` (VERBATIM_BACKEND);

and each process's peak resident memory (``VmHWM``, read by the process itself). Prints
both and their ratios.

``--multilingual``: the index also has the multilingual space (hashing vectors of USE's
dimension, named as USE), and ``verbatim ask`` on the first backend of ``--backends`` is run
again with VERBATIM_MULTILINGUAL=true for an English question (the main path: nothing more
should load) and for a Russian one (USE, the language identifier, the exact chunk search).
"""

from __future__ import annotations

import argparse
import json
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
from index.multilingual import USE_MODEL
from index.store import load_version

PEAK = (
    "; import sys; print([l.split()[1] for l in open('/proc/self/smaps_rollup') "
    "if l.startswith('Anonymous:')][0], [l.split()[1] for l in open('/proc/self/status') "
    "if l.startswith('VmHWM')][0], file=sys.stderr)"
)
BASELINE = (
    "from index.embedding import SentenceTransformerEmbedder as S; "
    "S('all-MiniLM-L6-v2').encode(['When was Koryolink established?'])" + PEAK
)
CACHE = Path(".verbatim/models").resolve()
RUSSIAN = "Когда норманны пришли в Нормандию?"  # When did the Normans come to Normandy?
ASK = "from index.cli import main; main(['ask', '--index', {index!r}, {question!r}])" + PEAK


def timed(code: str, env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds from start to exit, peak RSS and private memory at the end, in MiB, as the
    child saw them) of ``python -c``. Private memory is ``Anonymous`` of smaps_rollup: the
    peak RSS also counts the pages of the memory-mapped index files the process mapped,
    which the page cache holds and shares whether or not the process maps them."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    private, peak = done.stderr.strip().splitlines()[-1].split()
    return seconds, int(peak) / 1024, int(private) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--backends", nargs="*", default=["onnx", "onnx-int8"])
    parser.add_argument("--multilingual", action="store_true")
    args = parser.parse_args()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "VERBATIM_MULTILINGUAL": "false",  # the rows before the multilingual space, as they were
    }
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        questions = make_corpus(corpus, args.chunks)
        t0 = time.perf_counter()
        fake = HashingEmbedder(dimension=384, name="all-MiniLM-L6-v2")
        fake_ml = HashingEmbedder(dimension=512, name=USE_MODEL) if args.multilingual else None
        build_index(corpus, index, fake, ChunkingSettings(), multilingual=fake_ml)
        stored = load_version(index)
        print(
            f"index: {len(stored.chunks)} chunks, {len(stored.sentences)} sentences, "
            f"{sum(f.stat().st_size for f in stored.path.iterdir()) / 2**20:.0f} MiB on disk "
            f"(built in {time.perf_counter() - t0:.0f} s with the hashing embedder)"
        )
        del stored
        base_s, base_mb, base_private = timed(BASELINE, env)
        asked: dict[str, tuple[float, float, float]] = {}
        for backend in ("torch", *args.backends):
            # The vectors are the hashing embedder's whatever the backend (their values do not
            # change memory or load time): the manifest names the backend being measured.
            manifest = index / "current" / "manifest.json"
            data = json.loads(manifest.read_text(encoding="utf-8"))
            manifest.write_text(json.dumps({**data, "backend": backend}), encoding="utf-8")
            run_env = {**env, "VERBATIM_BACKEND": backend, "VERBATIM_MODEL_CACHE": str(CACHE)}
            asked[backend] = timed(ASK.format(index=str(index), question=questions[0]), run_env)
            if args.multilingual and backend == args.backends[0]:
                ml_env = {**run_env, "VERBATIM_MULTILINGUAL": "true"}
                for label, question in (("English", questions[0]), ("Russian", RUSSIAN)):
                    asked[f"{backend}, multilingual space, {label} question"] = timed(
                        ASK.format(index=str(index), question=question), ml_env
                    )
    print()
    head = (
        f"{'process':52} {'seconds':>8} {'× base':>7} {'peak RSS':>9} {'private':>8} {'× torch':>8}"
    )
    print(head + "   (MiB; × torch: private memory)")
    print(
        f"{'baseline: python + torch model + one encode':52} {base_s:8.1f} {'':>7} "
        f"{base_mb:9.0f} {base_private:8.0f}"
    )
    torch_private = asked["torch"][2]
    for backend, (ask_s, ask_mb, private) in asked.items():
        label = f"verbatim ask [{backend}]: model + index + answer"
        print(
            f"{label[:70]:52} {ask_s:8.1f} {ask_s / base_s:6.2f}× {ask_mb:9.0f} {private:8.0f} "
            f"{private / torch_private:7.2f}×"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
