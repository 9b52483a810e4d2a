"""The chunk index: type chosen by size, recall of the approximate path, parameters kept
through a save and load, settings validated. Small sizes with a tiny threshold: no model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
import pytest

from index import ann
from index.answering import Answerer
from index.build import build_index
from index.config import ChunkingSettings
from index.engine import Engine
from index.errors import IndexLoadError
from index.store import MANIFEST, Manifest, current_version_path, load_version, write_version
from tests.conftest import CountingEmbedder, edit_manifest
from tests.unit.index.test_multilingual import TranslatingEmbedder

DIM = 32
SMALL = ann.AnnSettings(exact_max=1_000)  # the approximate path from 1,001 vectors


def clustered(n: int, seed: int = 0, centres: int = 60) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, DIM)).astype(np.float32)
    x = c[rng.integers(0, centres, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def recall_at_10(index: Any, vectors: npt.NDArray[np.float32], queries: np.ndarray) -> float:
    exact = faiss.IndexFlatIP(DIM)
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))


def test_the_index_type_follows_the_size() -> None:
    assert ann.choose(0, SMALL) == ann.IndexSpec()
    assert ann.choose(1_000, SMALL).kind == ann.FLAT
    spec = ann.choose(3_000, SMALL)
    assert spec.kind == ann.IVF_SQ8
    assert spec.nlist * SMALL.train_per_list <= 3_000  # every list has training points
    assert 1 <= spec.nprobe <= spec.nlist
    # The defaults: exact up to 50,000; 4,096 lists and 1/16 of them probed at 1M.
    assert ann.choose(50_000, ann.AnnSettings()).kind == ann.FLAT
    assert ann.choose(1_000_000, ann.AnnSettings()) == ann.IndexSpec(ann.IVF_SQ8, 4096, 256)
    assert ann.choose(100_000, ann.AnnSettings()) == ann.IndexSpec(ann.IVF_SQ8, 1024, 64)


def test_small_inputs_build_a_flat_index() -> None:
    index, spec = ann.build(clustered(500), SMALL)
    assert spec.kind == ann.FLAT
    assert isinstance(index, faiss.IndexFlatIP)
    assert index.ntotal == 500
    empty, spec = ann.build(np.zeros((0, DIM), dtype=np.float32), SMALL)
    assert spec.kind == ann.FLAT and empty.ntotal == 0


def test_the_approximate_index_finds_nearly_all_exact_neighbours() -> None:
    vectors = clustered(4_000)
    queries = clustered(100, seed=1)
    index, spec = ann.build(vectors, replace(SMALL, batch=1_000))  # several add() batches
    assert spec.kind == ann.IVF_SQ8
    assert index.ntotal == len(vectors)
    assert faiss.extract_index_ivf(index).nprobe == spec.nprobe
    assert recall_at_10(index, vectors, queries) >= 0.9


def test_the_index_builds_from_a_read_only_memory_map(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", clustered(2_000))
    vectors = np.load(tmp_path / "v.npy", mmap_mode="r")
    index, spec = ann.build(vectors, SMALL)
    assert spec.kind == ann.IVF_SQ8 and index.ntotal == 2_000


def test_search_parameters_are_applied_when_read(tmp_path: Path) -> None:
    vectors = clustered(3_000)
    index, spec = ann.build(vectors, SMALL)
    # faiss-cpu 1.15 keeps nprobe in the file, older versions did not: the spec decides.
    faiss.extract_index_ivf(index).nprobe = 1
    ann.write_index(index, tmp_path / "i.faiss")
    assert faiss.extract_index_ivf(faiss.read_index(str(tmp_path / "i.faiss"))).nprobe == 1
    faiss.extract_index_ivf(index).nprobe = spec.nprobe
    for mmap in (True, False):
        loaded = ann.read_index(tmp_path / "i.faiss", spec, mmap=mmap)
        assert faiss.extract_index_ivf(loaded).nprobe == spec.nprobe > 1
        assert np.array_equal(loaded.search(vectors[:5], 10)[1], index.search(vectors[:5], 10)[1])
    with pytest.raises(ValueError, match="not the Flat index"):
        ann.read_index(tmp_path / "i.faiss", ann.IndexSpec())
    with pytest.raises(ValueError, match="lists"):
        ann.read_index(tmp_path / "i.faiss", replace(spec, nlist=spec.nlist * 2))


def test_specs_round_trip_through_json() -> None:
    for spec in (ann.IndexSpec(), ann.IndexSpec(ann.IVF_SQ8, 4096, 256)):
        assert ann.IndexSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert ann.IndexSpec.from_dict({}) == ann.IndexSpec()  # manifests from before the field
    assert ann.IndexSpec(ann.IVF_SQ8, 4096, 256).to_dict() == {
        "type": "IVF4096,SQ8",
        "metric": "inner_product",
        "nlist": 4096,
        "nprobe": 256,
    }
    with pytest.raises(ValueError, match="unknown"):
        ann.IndexSpec.from_dict({"type": "HNSW32"})


@pytest.mark.parametrize(
    "bad",
    [
        {"exact_max": -1},
        {"exact_max": 1.5},
        {"exact_max": True},
        {"lists_per_sqrt": 0},
        {"lists_per_sqrt": "4"},
        {"train_per_list": 0},
        {"probe_divisor": 0},
        {"min_probes": 0},
        {"kmeans_iterations": 0},
        {"batch": 10},
        {"seed": -1},
    ],
)
def test_bad_settings_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        ann.AnnSettings(**bad)


@pytest.mark.parametrize(
    ("kind", "nlist", "nprobe"),
    [("flat", 4, 1), ("ivf_sq8", 8, 0), ("ivf_sq8", 8, 9), ("hnsw", 0, 0)],
)
def test_bad_specs_are_rejected(kind: Any, nlist: int, nprobe: int) -> None:
    with pytest.raises(ValueError):
        ann.IndexSpec(kind, nlist, nprobe)


def _rewrite(index: Path, settings: ann.AnnSettings) -> Path:
    """Write the current version again, with its chunk indexes built by ``settings``."""
    stored = load_version(index)
    return write_version(
        index,
        stored.manifest,
        stored.documents,
        stored.chunks,
        stored.sentences,
        np.asarray(stored.chunk_vectors),
        np.asarray(stored.sentence_vectors),
        ann_settings=settings,
        progress=False,
        multilingual=stored.multilingual,
    )


def test_the_store_records_the_index_and_applies_its_parameters(engine: Engine) -> None:
    stored = load_version(engine.settings.index_dir)
    assert stored.manifest.ann == {"type": "Flat", "metric": "inner_product"}
    n = len(stored.chunks)
    tiny = ann.AnnSettings(exact_max=0, train_per_list=2, min_probes=2)
    path = _rewrite(engine.settings.index_dir, tiny)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    spec = ann.choose(n, tiny)
    assert spec.kind == ann.IVF_SQ8
    assert manifest["ann"] == spec.to_dict()
    again = load_version(engine.settings.index_dir)
    assert again.path == path
    ivf = faiss.extract_index_ivf(again.faiss_index)
    assert (ivf.nlist, ivf.nprobe) == (spec.nlist, spec.nprobe)
    assert again.faiss_index.ntotal == n
    # The bot still answers from it, through retrieval's unchanged ``search(q, k)``.
    assert engine.refresh()
    assert engine.answer("When did Hekla erupt?", force=True).passages


def test_a_manifest_from_before_the_field_still_loads(engine: Engine) -> None:
    path = current_version_path(engine.settings.index_dir)
    assert path is not None
    edit_manifest(path, lambda m: m.pop("ann"))
    stored = load_version(engine.settings.index_dir)
    assert stored.manifest.ann == {}
    assert isinstance(stored.faiss_index, faiss.IndexFlatIP)
    assert Manifest.from_file(path / MANIFEST).ann == {}


def test_a_manifest_naming_another_index_type_is_a_clear_error(engine: Engine) -> None:
    path = current_version_path(engine.settings.index_dir)
    assert path is not None
    edit_manifest(path, lambda m: m.update(ann=ann.IndexSpec(ann.IVF_SQ8, 4, 2).to_dict()))
    with pytest.raises(IndexLoadError, match=r"chunks\.faiss.*verbatim index build"):
        load_version(engine.settings.index_dir)


def test_a_large_multilingual_space_gets_its_own_chunk_index(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """Beyond ``exact_max`` chunks the multilingual chunks are searched through an IVF index of
    their own (recorded in the manifest, read back with its parameters), not read whole for
    every question; a version written without it is still searched exactly."""
    index = tmp_path / "index"
    main, ml = CountingEmbedder(), TranslatingEmbedder()
    build_index(corpus, index, main, chunking, multilingual=ml)
    stored = load_version(index)
    assert stored.multilingual is not None and stored.multilingual.chunk_index is None
    assert "ann" not in stored.manifest.multilingual  # small: exact, as before
    tiny = ann.AnnSettings(exact_max=0, train_per_list=2, min_probes=2)
    path = _rewrite(index, tiny)
    spec = ann.choose(len(stored.chunks), tiny)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["multilingual"]["ann"] == spec.to_dict()
    again = load_version(index)
    assert again.multilingual is not None and again.multilingual.chunk_index is not None
    ivf = faiss.extract_index_ivf(again.multilingual.chunk_index)
    assert (ivf.nlist, ivf.nprobe, ivf.ntotal) == (spec.nlist, spec.nprobe, len(again.chunks))
    answerer = Answerer(again, main, multilingual=ml)
    space = answerer.retriever.multilingual
    assert space is not None and space.faiss_index is again.multilingual.chunk_index
    answer = answerer.answer("Когда извергался вулкан Eyjafjallajökull?", force=True)
    assert "erupted in 2010" in answer.passages[0].highlight
    # A damaged one is a clear error naming the file
    (path / "multilingual_chunks.faiss").write_bytes(b"not an index")
    with pytest.raises(IndexLoadError, match=r"multilingual_chunks\.faiss.*verbatim index build"):
        load_version(index)
