"""The numeric libraries' thread pools, set for answering questions.

One process holds four thread pools: torch's OpenMP (the model), numpy's OpenBLAS, and FAISS's
own OpenMP and OpenBLAS. A pool's threads keep spinning for a while after their work is done,
so on a small machine a multi-threaded BLAS product steals the cores torch needs for the very
next encode. Measured on 2 cores (13,690-chunk index, 2026-11-25): ``Answerer.answer`` took
78-86 ms per question with BLAS on 2 threads and 13-15 ms with BLAS on one, for an encode of
6.5-7 ms alone. A question's products (one query against the sentence vectors, a handful of
queries in a micro-batch) are memory-bound, so one BLAS thread loses nothing; the model keeps
all of torch's threads.

FAISS's OpenMP, like torch's, gives every calling thread its own team of spinning workers: a
server answering from many threads calls ``single_threaded_faiss`` in each of them (a
one-question search over a flat or IVF index is a millisecond on one thread).

FAISS's OpenBLAS is built on its OpenMP: limiting it also puts FAISS's OpenMP on one thread in
the calling thread, so a later build run on that same thread (the bot's /reindex on a pool
thread that once loaded an index) trains an IVF index single-threaded: slower past 50,000
chunks, never wrong.

The BLAS limit is process-wide (OpenBLAS has no per-thread setting). A build in the same process
(the bot's /reindex and uploads) runs with it too: its cost is the model's, in torch.
"""

from __future__ import annotations

import logging

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)


def limit_blas_for_answering() -> None:
    """Put every BLAS library loaded so far (numpy's and FAISS's, imported here) on one
    thread. Process-wide: called once, by the entry points (``index.process``)."""
    import faiss  # noqa: F401  (its OpenBLAS must be loaded to be seen)
    import numpy  # noqa: F401

    threadpool_limits(limits=1, user_api="blas")
    log.debug("BLAS libraries limited to one thread for answering")


def single_threaded_faiss() -> None:
    """FAISS searches made from the calling thread run on that thread alone."""
    import faiss

    faiss.omp_set_num_threads(1)
