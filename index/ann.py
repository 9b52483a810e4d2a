"""The chunk vector index: exact search while it is fast, an IVF index with 8-bit scalar
quantisation beyond.

Vectors are L2-normalised float32 rows and similarity is the inner product (cosine), as
everywhere in Verbatim; whatever the type, callers only use ``index.search(q, k)``.

Method
------
* ``n <= AnnSettings.exact_max`` (50,000): ``IndexFlatIP``, exact. Measured on this machine
  (AMD EPYC, 384-d, one query at a time, one thread): p50 0.24 ms at 10k vectors, 1.2 ms at
  25k, 2.8-4.0 ms at 50k, 6.2-7.5 ms at 100k, 12-14 ms at 200k. 50k is the largest size that
  stays under the 5 ms target with some margin; there the approximate index would gain
  ~3 ms a question and give up exactness.
* beyond: ``IVF{nlist},SQ8`` (inverted file over k-means cells, each vector stored as its
  residual to the cell centre in 8 bits a dimension: 384 bytes a vector, a quarter of float32).
  ``nlist`` is ``lists_per_sqrt * sqrt(n)`` rounded to a power of two (4,096 at 1M, 1,024 at
  100k), at most one list per ``train_per_list`` vectors; k-means runs on a random sample of
  ``train_per_list * nlist`` vectors (39 a list, FAISS's own minimum). A query scans
  ``nprobe = max(min_probes, nlist // probe_divisor)`` lists, i.e. 1/16 of the vectors.

Why these, measured with ``bench/scale.py``'s clustered data (one cluster per 50 vectors,
queries are noisy copies of held-out points), one query at a time, one thread. The chosen
settings, in one run of the bench: 100k, IVF1024,SQ8, nprobe 64: p50 0.34 ms (exact 7.2 ms),
recall@10 0.993, built in 3 s; 1M, IVF4096,SQ8, nprobe 256: p50 2.9 ms, p95 3.3 ms (exact
54 ms), recall@10 0.979, built in 105 s, 380 MiB on disk and resident. Alternatives:

* IVF4096,SQ8 at 1M: nprobe 64 / 128 / 256 / 512 gave recall@10 0.943-0.965 / 0.958-0.974 /
  0.971-0.982 / 0.983 at p50 0.9 / 1.6 / 3.0-3.3 / 6.2 ms (the range is over k-means runs:
  recall at a given nprobe moves by ~0.015 with the clustering, so nprobe 256 is chosen, not
  the 128 that just passes). Build 50-120 s on 2 cores shared with other work.
* IVF2048,SQ8 at 1M needs nprobe 128 for 0.959 at 2.9 ms: twice the scan for the same recall.
* HNSW32,SQ8 (efConstruction 40) at 1M: 164 s to build, recall@10 0.80 / 0.91 / 0.946 at
  efSearch 64 / 128 / 256 (0.3 / 0.6 / 1.1 ms): faster queries, but a slower build and a lower
  ceiling; more efConstruction would cost more build time still. At 100k it reached 0.99.
* Flat float32 at 1M is 1.5 GB and ~70 ms a query. SQ8 keeps the whole index at ~400 MB.

Search-time parameters are not stored in FAISS files by every FAISS version (faiss-cpu 1.15
keeps an IVF index's nprobe in the file; older versions read it back as nprobe=1), so
``IndexSpec`` records them, the store keeps the spec in the manifest, and ``read_index``
applies it on every load (and checks the file is the type the spec names).

Memory: ``read_index`` maps the file read-only (``IO_FLAG_MMAP_IFC | IO_FLAG_READ_ONLY``;
in faiss-cpu 1.15.1 it maps ``IndexFlat`` codes, HNSW graphs and IVF array lists without a
copy; FAISS builds without that flag fall back to ``IO_FLAG_MMAP``, which maps IVF lists
only). The vectors then live in the page cache, shared by every process that serves the same
version, instead of in each process's anonymous memory. Measured on the 1M IVF index: plain
``read_index``, 404 MiB anonymous per process; mapped, ~1 MiB anonymous beyond a bare
process, 404 MiB file-backed, and with two processes serving it each one's Pss is 220 MiB of
its 428 MiB RSS: the pages are held once. Old versions are pruned while a process may map
them; on Linux the mapping stays valid after the file is removed.

Threads: a one-query IVF search runs on one thread whatever ``omp_set_num_threads`` says, but
a one-query flat search is split over all OpenMP threads; on this 2-core machine, busy with
other work, that took 15-24 ms instead of 0.2-7 ms with one thread. Serving processes should
call ``faiss.omp_set_num_threads(1)`` (not done here: it is process-wide and builds want all
cores).

Building only ever holds one batch (``batch`` rows) of float32 beyond the caller's vectors and
the k-means sample, so it can run from a memory-mapped ``.npy``; it takes vectors, never text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

FLAT: Literal["flat"] = "flat"
IVF_SQ8: Literal["ivf_sq8"] = "ivf_sq8"
Kind = Literal["flat", "ivf_sq8"]


@dataclass(frozen=True)
class AnnSettings:
    """How the chunk index is chosen and built. Validated on construction."""

    exact_max: int = 50_000  # up to this many vectors: exact IndexFlatIP
    lists_per_sqrt: float = 4.0  # nlist ≈ lists_per_sqrt * sqrt(n), a power of two
    train_per_list: int = 39  # k-means sample per list (and the least vectors a list)
    probe_divisor: int = 16  # nprobe = nlist // probe_divisor ...
    min_probes: int = 8  # ... but at least this many lists
    kmeans_iterations: int = 20
    batch: int = 65_536  # vectors per add() call: bounds the temporary copy, drives progress
    seed: int = 1234

    def __post_init__(self) -> None:
        for name in (
            "exact_max",
            "train_per_list",
            "probe_divisor",
            "min_probes",
            "kmeans_iterations",
            "batch",
            "seed",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"AnnSettings.{name} must be an int, not {value!r}")
        value = self.lists_per_sqrt
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"AnnSettings.lists_per_sqrt must be a number > 0, not {value!r}")
        if self.exact_max < 0:
            raise ValueError(f"AnnSettings.exact_max must be >= 0, not {self.exact_max}")
        for name in ("train_per_list", "probe_divisor", "min_probes", "kmeans_iterations"):
            if getattr(self, name) < 1:
                raise ValueError(f"AnnSettings.{name} must be >= 1, not {getattr(self, name)}")
        if self.batch < 1_000:
            raise ValueError(f"AnnSettings.batch must be >= 1000, not {self.batch}")
        if self.seed < 0:
            raise ValueError(f"AnnSettings.seed must be >= 0, not {self.seed}")


@dataclass(frozen=True)
class IndexSpec:
    """Which index a version holds and the parameters its searches need."""

    kind: Kind = FLAT
    nlist: int = 0
    nprobe: int = 0

    def __post_init__(self) -> None:
        if self.kind == FLAT:
            if self.nlist or self.nprobe:
                raise ValueError("a flat index has no nlist or nprobe")
        elif self.kind == IVF_SQ8:
            if not 1 <= self.nprobe <= self.nlist:
                raise ValueError(f"need 1 <= nprobe <= nlist, not {self.nprobe}/{self.nlist}")
        else:
            raise ValueError(f"unknown index kind {self.kind!r}")

    @property
    def factory(self) -> str:
        """The FAISS ``index_factory`` string."""
        return "Flat" if self.kind == FLAT else f"IVF{self.nlist},SQ8"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.factory, "metric": "inner_product"}
        if self.kind == IVF_SQ8:
            out |= {"nlist": self.nlist, "nprobe": self.nprobe}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexSpec:
        """Read ``to_dict`` output; ``{}`` (manifests from before this field) is flat."""
        kind = data.get("type", "Flat")
        if kind == "Flat":
            return cls()
        if isinstance(kind, str) and kind.startswith("IVF") and kind.endswith(",SQ8"):
            return cls(IVF_SQ8, int(data["nlist"]), int(data["nprobe"]))
        raise ValueError(f"unknown chunk index type {kind!r}")


def choose(n: int, settings: AnnSettings) -> IndexSpec:
    """The index for ``n`` vectors: flat up to ``exact_max``, IVF-SQ8 beyond."""
    if n <= settings.exact_max or n < 2 * settings.train_per_list:
        return IndexSpec()
    target = settings.lists_per_sqrt * math.sqrt(n)
    nlist = 2 ** round(math.log2(target))
    most = 2 ** int(math.log2(n // settings.train_per_list))  # every list trained and filled
    nlist = max(2, min(nlist, most))
    nprobe = min(nlist, max(settings.min_probes, nlist // settings.probe_divisor))
    return IndexSpec(IVF_SQ8, nlist, nprobe)


def build(
    vectors: npt.NDArray[np.float32],
    settings: AnnSettings | None = None,
    *,
    progress: bool | None = False,
) -> tuple[Any, IndexSpec]:
    """Build the index chosen by ``choose`` over ``vectors`` (n, d), normalised float32.

    ``vectors`` may be a read-only memory map. Vectors are added ``settings.batch`` at a
    time with a tqdm bar (approximate index only; ``progress=None``: only on a terminal).
    """
    import faiss
    from tqdm import tqdm

    settings = settings or AnnSettings()
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a matrix, not shape {vectors.shape}")
    n, dim = vectors.shape
    spec = choose(n, settings)
    index: Any
    if spec.kind == FLAT:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.index_factory(dim, spec.factory, faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.niter = settings.kmeans_iterations
        ivf.cp.seed = settings.seed
    # A flat index is one copy of <= exact_max rows: a bar only for the approximate build.
    show = spec.kind == IVF_SQ8 and progress is not False
    with tqdm(
        total=n,
        desc=f"chunk index {spec.factory}",
        unit="vec",
        leave=False,
        disable=None if show and progress is None else not show,
    ) as bar:
        if spec.kind == IVF_SQ8:
            bar.set_postfix_str(f"k-means on {min(n, settings.train_per_list * spec.nlist)}")
            index.train(_training_sample(vectors, spec.nlist * settings.train_per_list, settings))
            bar.set_postfix_str("adding")
        for lo in range(0, n, settings.batch):
            index.add(np.ascontiguousarray(vectors[lo : lo + settings.batch], dtype=np.float32))
            bar.update(min(settings.batch, n - lo))
    apply_search_parameters(index, spec)
    return index, spec


def _training_sample(
    vectors: npt.NDArray[np.float32], size: int, settings: AnnSettings
) -> npt.NDArray[np.float32]:
    """A seeded random sample of rows (sorted, so a memory map is read in order)."""
    n = len(vectors)
    if size >= n:
        return np.ascontiguousarray(vectors, dtype=np.float32)
    rows = np.sort(np.random.default_rng(settings.seed).choice(n, size, replace=False))
    return np.ascontiguousarray(vectors[rows], dtype=np.float32)


def apply_search_parameters(index: Any, spec: IndexSpec) -> None:
    """Set ``spec``'s search parameters on ``index`` and check they took (and its type)."""
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if (ivf is not None) != (spec.kind == IVF_SQ8):
        raise ValueError(f"the index file is not the {spec.factory} index the manifest names")
    if ivf is not None:
        if ivf.nlist != spec.nlist:
            raise ValueError(f"the index has {ivf.nlist} lists, the manifest says {spec.nlist}")
        ivf.nprobe = spec.nprobe


def write_index(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def read_index(path: Path, spec: IndexSpec, *, mmap: bool = True) -> Any:
    """Read an index written by ``write_index`` and apply ``spec``'s search parameters.

    With ``mmap`` (the default) the file is mapped read-only and shared between processes;
    the returned index must not be modified, and keeps the file open while it lives.
    """
    import faiss

    flags = 0
    if mmap:
        flags = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP) | faiss.IO_FLAG_READ_ONLY
    index = faiss.read_index(str(path), flags)
    apply_search_parameters(index, spec)
    return index
