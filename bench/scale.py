"""Benchmark 7: the chunk index at 100,000 and 1,000,000 chunks (issue 5, scale).

    .venv/bin/python bench/scale.py [--sizes 100000 1000000] [--queries 500]

For each size, with the index type ``index.ann`` chooses for that many chunks:

1. Synthetic vectors, 384-d like all-MiniLM-L6-v2, generated in blocks straight into a
   memory-mapped ``.npy`` (never a second full copy). They are *clustered*, not uniform:
   uniform random vectors in 384-d are all nearly orthogonal to each other, with no
   neighbourhood structure, which real sentence embeddings never look like. So there is one
   random centre per 50 vectors (a "document" of related chunks: 2,000 centres at 100k, 20,000
   at 1M) and each vector is its centre plus Gaussian noise of a random scale, normalised
   (cosine to the centre 0.64-0.89). Queries are noisy copies of held-out vectors (cosine ~0.96
   to the held-out vector; the best chunk's cosine is ~0.67, like a question and its passage).
2. Build with ``index.ann.build`` exactly as the store does (progress bar), write the file.
3. Exact baseline in the same run: ``IndexFlatIP`` on the same vectors gives the true top 10 of
   every query, and its own one-query-at-a-time p50.
4. A fresh process loads the file as the store does (``index.ann.read_index``: memory-mapped,
   search parameters applied) and searches one query at a time, like the bot: p50/p95 and
   recall@10 against the exact top 10. Then a second process loads the same file and searches
   too; with both alive each reports its resident memory split into anonymous (private) and
   file-backed pages, and its Pss (a page shared by two processes counts half in each). A third
   process loads without mmap, for comparison.

Threads: building and the exact ground truth use 2 OpenMP threads; every timed single-query
search uses 1 (FAISS parallelises a one-query IVF search over nothing anyway, and a 2-thread
flat search of one query was 5-10x slower on this shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index import ann

DIM = 384
PER_CLUSTER = 50
BLOCK = 65_536
K = 10
EXACT_TIMED = 100  # queries timed one by one against the exact baseline (~70 ms each at 1M)

Floats = npt.NDArray[np.float32]


def clustered(
    rng: np.random.Generator, centres: Floats, rows: int, noise: tuple[float, float]
) -> Floats:
    """``rows`` vectors: a random centre each plus Gaussian noise, L2-normalised."""
    labels = rng.integers(0, len(centres), rows)
    scale = rng.uniform(noise[0], noise[1], (rows, 1)).astype(np.float32)
    x = centres[labels] + scale * rng.standard_normal((rows, DIM), dtype=np.float32) / np.float32(
        math.sqrt(DIM)
    )
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def make_data(folder: Path, n: int, queries: int, seed: int = 0) -> tuple[Floats, Floats]:
    """(vectors memory-mapped from ``folder/vectors.npy``, queries)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // PER_CLUSTER), DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.lib.format.open_memmap(
        folder / "vectors.npy", mode="w+", dtype=np.float32, shape=(n, DIM)
    )
    for lo in range(0, n, BLOCK):
        out[lo : lo + BLOCK] = clustered(rng, centres, min(BLOCK, n - lo), (0.5, 1.2))
    out.flush()
    del out
    held_out = clustered(rng, centres, queries, (0.5, 1.2))
    q = held_out + np.float32(0.3 / math.sqrt(DIM)) * rng.standard_normal(
        held_out.shape, dtype=np.float32
    )
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    return vectors, np.ascontiguousarray(q, dtype=np.float32)


def memory() -> dict[str, float]:
    """This process's resident memory in MiB: total, anonymous, file-backed, and Pss."""
    status = Path("/proc/self/status").read_text()
    rollup = Path("/proc/self/smaps_rollup").read_text()

    def kib(text: str, key: str) -> float:
        found = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        return int(found.group(1)) / 1024 if found else float("nan")

    return {
        "rss": kib(status, "VmRSS"),
        "anon": kib(status, "RssAnon"),
        "file": kib(status, "RssFile"),
        "pss": kib(rollup, "Pss"),
    }


def timed_searches(index: Any, queries: Floats) -> tuple[list[float], npt.NDArray[np.int64]]:
    """Seconds per one-query search, and the ids found."""
    seconds, found = [], np.empty((len(queries), K), dtype=np.int64)
    for i in range(len(queries)):
        t0 = time.perf_counter()
        _, ids = index.search(queries[i : i + 1], K)
        seconds.append(time.perf_counter() - t0)
        found[i] = ids[0]
    return seconds, found


def recall(found: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def serve(args: argparse.Namespace) -> int:
    """Child process: load as the store does, search, report; wait to be measured."""
    import faiss

    faiss.omp_set_num_threads(1)
    queries = np.load(args.query_file)
    truth = np.load(args.truth)
    before = memory()
    t0 = time.perf_counter()
    index = ann.read_index(
        Path(args.serve), ann.IndexSpec.from_dict(json.loads(args.spec)), mmap=not args.no_mmap
    )
    load_s = time.perf_counter() - t0
    seconds, found = timed_searches(index, queries)
    report = {
        "load_s": load_s,
        "p50": float(np.median(seconds)) * 1e3,
        "p95": float(np.percentile(seconds, 95)) * 1e3,
        "recall": recall(found, truth),
        "base_rss": before["rss"],
    }
    print(json.dumps(report), flush=True)
    sys.stdin.readline()  # measured only when every process of the run holds the index
    print(json.dumps(memory()), flush=True)
    sys.stdin.readline()  # and kept alive until all were measured
    return 0


def start_server(
    path: Path, spec: ann.IndexSpec, folder: Path, mmap: bool
) -> subprocess.Popen[str]:
    cmd = [sys.executable, __file__, "--serve", str(path), "--spec", json.dumps(spec.to_dict())]
    cmd += ["--query-file", str(folder / "queries.npy"), "--truth", str(folder / "truth.npy")]
    return subprocess.Popen(
        cmd + ([] if mmap else ["--no-mmap"]),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_json(proc: subprocess.Popen[str]) -> dict[str, float]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"server process failed (exit {proc.wait()})")
    data: dict[str, float] = json.loads(line)
    return data


def measure(procs: list[subprocess.Popen[str]]) -> list[dict[str, float]]:
    """Memory of every process while all of them are alive; then let them exit."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("measure\n")
        proc.stdin.flush()
    out = [read_json(proc) for proc in procs]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait()
    return out


def run(n: int, queries: int, settings: ann.AnnSettings) -> None:
    import faiss

    with tempfile.TemporaryDirectory(prefix="verbatim-scale-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        vectors, q = make_data(folder, n, queries)
        gen_s = time.perf_counter() - t0
        np.save(folder / "queries.npy", q)

        faiss.omp_set_num_threads(2)
        t0 = time.perf_counter()
        index, spec = ann.build(vectors, settings, progress=True)
        build_s = time.perf_counter() - t0
        ann.write_index(index, folder / "chunks.faiss")
        del index
        file_mb = (folder / "chunks.faiss").stat().st_size / 2**20

        t0 = time.perf_counter()
        exact = faiss.IndexFlatIP(DIM)
        for lo in range(0, n, BLOCK):
            exact.add(np.ascontiguousarray(vectors[lo : lo + BLOCK]))
        exact_build_s = time.perf_counter() - t0
        exact_mb = exact.ntotal * DIM * 4 / 2**20  # its float32 copy, in this process
        _, truth = exact.search(q, K)
        np.save(folder / "truth.npy", truth)
        faiss.omp_set_num_threads(1)
        exact_seconds, exact_found = timed_searches(exact, q[:EXACT_TIMED])
        exact_p50 = float(np.median(exact_seconds)) * 1e3
        exact_p95 = float(np.percentile(exact_seconds, 95)) * 1e3
        assert recall(exact_found, truth[:EXACT_TIMED]) > 0.99  # batched and single agree
        del exact, vectors

        first = start_server(folder / "chunks.faiss", spec, folder, mmap=True)
        result = read_json(first)  # timed alone
        second = start_server(folder / "chunks.faiss", spec, folder, mmap=True)
        read_json(second)
        shared = measure([first, second])
        private = start_server(folder / "chunks.faiss", spec, folder, mmap=False)
        private_result = read_json(private)
        (unshared,) = measure([private])

    base = result["base_rss"]
    print(
        f"\n\n== {n:,} chunks, {DIM}-d: synthetic clustered vectors ({n // PER_CLUSTER:,} centres, "
        f"one per {PER_CLUSTER}; queries = noisy copies of {queries} held-out points), "
        f"generated in {gen_s:.0f} s"
    )
    print(
        f"{'index':26} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p50 vs exact':>12} "
        f"{'recall@10':>9} {'resident MiB':>13}"
    )
    print(
        f"{'IndexFlatIP (exact)':26} {exact_build_s:8.1f} {exact_p50:7.2f} {exact_p95:7.2f} "
        f"{1:11.2f}x {1:9.3f} {exact_mb:13.0f}"
    )
    print(
        f"{spec.factory + ' (chosen)':26} {build_s:8.1f} {result['p50']:7.2f} {result['p95']:7.2f} "
        f"{result['p50'] / exact_p50:11.3f}x {result['recall']:9.3f} "
        f"{shared[0]['rss'] - base:13.0f}"
    )
    params = f"nprobe={spec.nprobe} of {spec.nlist} lists" if spec.nprobe else "exact"
    print(
        f"  chosen: {spec.factory} ({params}; exact up to {settings.exact_max:,}), file "
        f"{file_mb:.0f} MiB, loaded (mmap) in {result['load_s'] * 1e3:.0f} ms; exact: in-process "
        f"float32 copy ({EXACT_TIMED} queries timed)"
    )
    for name, mem in (("process 1 (mmap)", shared[0]), ("process 2 (mmap)", shared[1])):
        print(
            f"  {name}: RSS {mem['rss']:.0f} MiB = anonymous {mem['anon']:.0f} + "
            f"file-backed {mem['file']:.0f}; Pss {mem['pss']:.0f} MiB (both alive)"
        )
    print(
        f"  process 3 (read_index without mmap): RSS {unshared['rss']:.0f} MiB = anonymous "
        f"{unshared['anon']:.0f} + file-backed {unshared['file']:.0f}; Pss {unshared['pss']:.0f} "
        f"MiB; p50 {private_result['p50']:.2f} ms, recall@10 {private_result['recall']:.3f}"
    )
    print(f"  (a bare python + numpy + faiss process is {base:.0f} MiB RSS)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--query-file", help=argparse.SUPPRESS)
    parser.add_argument("--truth", help=argparse.SUPPRESS)
    parser.add_argument("--no-mmap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args)
    settings = ann.AnnSettings()
    for n in args.sizes:
        run(n, args.queries, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
