"""The on-disk index: versioned directories switched in by an atomic symlink swap.

Layout of ``VERBATIM_INDEX_DIR``::

    current -> versions/20261125T101500Z-3f2a9c1d   (symlink, replaced atomically)
    versions/<version>/manifest.json                (format, model, dimension, chunking, docs)
    versions/<version>/documents.jsonl              (one cleaned document per line)
    versions/<version>/chunks.jsonl                 (chunk id, document, offsets)
    versions/<version>/sentences.npy                (SentenceTable: int64 doc, start, end, para)
    versions/<version>/chunk_vectors.npy            (float32, L2-normalised)
    versions/<version>/sentence_vectors.npy         (float32, L2-normalised)
    versions/<version>/chunks.faiss                 (inner-product FAISS index over chunks)
    versions/<version>/multilingual_sentence_vectors.npy  (optional: the multilingual space,
    versions/<version>/multilingual_chunk_vectors.npy      see index.multilingual)
    versions/<version>/multilingual_words.json          (with it: the documents' words and
    versions/<version>/multilingual_word_vectors.npy     their vectors, index.translation)
    versions/<version>/multilingual_chunks.faiss        (with it, beyond ``exact_max`` chunks:
                                                         its chunks' IVF-SQ8 index)

``chunks.faiss`` is exact (``IndexFlatIP``) for small corpora and an approximate IVF-SQ8 index
for large ones (``index.ann`` says why); the manifest's ``ann`` field names the type and the
search parameters (nprobe), which ``load_version`` applies on every load. Manifests from before
that field mean a flat index. The multilingual space's chunks are searched exactly (numpy) up
to the same size and through an index of the same kind beyond it, named in the manifest's
``multilingual.ann`` (a version written before it is searched exactly). The FAISS files and
the vector ``.npy`` files are memory-mapped read-only, so bot processes serving the same
version share those pages.

Nothing is pickled: JSON lines, ``.npy`` written with ``allow_pickle=False`` and FAISS's own
format. A build writes a new version directory and only then swaps ``current``: a build that
dies half-way leaves the index in use untouched.

One module (about 480 lines): writing, checking and loading a version share the file list
and its format; the manifest is their contract.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index import ann
from index.embedding import same_vectors
from index.errors import IndexLoadError
from index.sentence_tables import ChunkTable
from index.translation import Vocabulary
from index.types import Chunk, Document, SentenceTable

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# How chunk vectors are made: the length-weighted mean of their sentences' vectors
# (``index.build.pool_chunk_vectors``). Manifests without the field come from builds that
# encoded chunk texts directly: they load and serve, but an update re-embeds everything
# rather than mix the two kinds of vector in one index.
CHUNK_VECTORS = "sentence-mean"
MANIFEST = "manifest.json"
CURRENT = "current"
VERSIONS = "versions"
_KEEP_VERSIONS = 2
_ML_SENTENCES = "multilingual_sentence_vectors.npy"
_ML_CHUNKS = "multilingual_chunk_vectors.npy"
_ML_WORDS = "multilingual_words.json"
_ML_WORD_VECTORS = "multilingual_word_vectors.npy"
_ML_CHUNK_INDEX = "multilingual_chunks.faiss"
_FILES = (
    "documents.jsonl",
    "chunks.jsonl",
    "sentences.npy",
    "chunk_vectors.npy",
    "sentence_vectors.npy",
    "chunks.faiss",
)


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    dimension: int
    chunking: dict[str, int]
    documents: dict[str, dict[str, Any]]  # source -> {doc_id, content_hash, title, chunks, ...}
    counts: dict[str, int]
    built_at: str
    build_seconds: float
    version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The chunk index's type and search parameters (``ann.IndexSpec.to_dict``); {} = flat.
    ann: dict[str, Any] = field(default_factory=dict)
    chunk_vectors: str = "encoded"  # see CHUNK_VECTORS
    #: what computed the vectors (``Embedder.backend``); indexes from before say torch
    backend: str = "torch"
    #: the multilingual space's encoder {"model", "dimension", "backend", "words"}; {} = none
    #: ("words": how many of the documents' words it holds, ``index.translation``; absent
    #: in a space built before them)
    multilingual: dict[str, Any] = field(default_factory=dict)
    #: the documents' language (ISO 639-1, ``index.languages``); "" = not recorded (English)
    language: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    def added(self, source: str) -> str:
        """When the document ``source`` came into the index (an index from before this was
        recorded: its build time)."""
        return str(self.documents.get(source, {}).get("added") or self.built_at)

    @classmethod
    def from_file(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise IndexLoadError(
                f"{path} is missing: rebuild with `verbatim index build --full`"
            ) from None
        except (OSError, ValueError, TypeError) as exc:
            raise IndexLoadError(
                f"{path} is corrupt ({exc}): rebuild with `verbatim index build --full`"
            ) from None


@dataclass(frozen=True)
class MultilingualVectors:
    """The multilingual space of a version: its encoder and the same sentences' and chunks'
    vectors in it (rows as in ``StoredIndex``)."""

    model: str
    sentence_vectors: npt.NDArray[np.float32]
    chunk_vectors: npt.NDArray[np.float32]
    #: the documents' words and their vectors (None in a space built before them)
    vocabulary: Vocabulary | None = None
    #: its chunks' approximate index beyond ``ann.AnnSettings.exact_max`` chunks (None:
    #: searched exactly)
    chunk_index: Any = None


@dataclass(frozen=True)
class StoredIndex:
    """Everything a version directory holds, in memory (vectors memory-mapped)."""

    path: Path
    manifest: Manifest
    documents: list[Document]
    chunks: Sequence[Chunk]
    sentences: SentenceTable
    chunk_vectors: npt.NDArray[np.float32]
    sentence_vectors: npt.NDArray[np.float32]
    faiss_index: Any
    multilingual: MultilingualVectors | None = None

    @property
    def language(self) -> str:
        """The documents' language (English for an index from before it was recorded)."""
        return self.manifest.language or "en"


def current_version_path(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    return link.resolve()


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder; a second one fails at once with a clear message."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = (index_dir / ".build.lock").open("a")
    except OSError as exc:
        raise IndexLoadError(
            f"cannot use {index_dir} as the index folder ({exc.strerror}): "
            "point VERBATIM_INDEX_DIR or --index at a folder this user can write"
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLoadError(
                f"another build of {index_dir} is running; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_version(
    index_dir: Path,
    manifest: Manifest,
    documents: list[Document],
    chunks: Sequence[Chunk],
    sentences: SentenceTable,
    chunk_vectors: npt.NDArray[np.float32],
    sentence_vectors: npt.NDArray[np.float32],
    *,
    ann_settings: ann.AnnSettings | None = None,
    progress: bool | None = None,
    extras: Callable[[Path], None] | None = None,
    multilingual: MultilingualVectors | None = None,
) -> Path:
    """Write a complete new version, then point ``current`` at it atomically.

    The chunk index type is chosen by ``ann.choose`` from the number of chunks; building it
    shows a progress bar (``progress=None``: only on a terminal). ``extras(folder)`` writes
    more files into the version before it is switched in (the BM25 indexes); they are synced
    to disk with the rest. Call under ``build_lock``.
    """
    versions = index_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = versions / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_jsonl(tmp / "documents.jsonl", (asdict(d) for d in documents))
        _write_jsonl(tmp / "chunks.jsonl", (asdict(c) for c in chunks))
        _save_npy(tmp / "sentences.npy", sentences.matrix)
        _save_npy(tmp / "chunk_vectors.npy", chunk_vectors)
        _save_npy(tmp / "sentence_vectors.npy", sentence_vectors)
        if multilingual is not None:
            _save_npy(tmp / _ML_SENTENCES, multilingual.sentence_vectors)
            _save_npy(tmp / _ML_CHUNKS, multilingual.chunk_vectors)
            if multilingual.vocabulary is not None:
                words = multilingual.vocabulary.words
                own = multilingual.vocabulary.documents
                _write_text(
                    tmp / _ML_WORDS,
                    json.dumps(
                        {"documents": words[:own], "common": words[own:]}, ensure_ascii=False
                    ),
                )
                _save_npy(tmp / _ML_WORD_VECTORS, multilingual.vocabulary.vectors)
        vectors = np.asarray(chunk_vectors, dtype=np.float32).reshape(-1, manifest.dimension)
        chunk_index, spec = ann.build(vectors, ann_settings, progress=progress)
        ann.write_index(chunk_index, tmp / "chunks.faiss")
        del chunk_index
        ml_spec = dict(manifest.multilingual)
        if multilingual is not None:
            ml_spec.pop("ann", None)
            ml_vectors = np.asarray(multilingual.chunk_vectors, dtype=np.float32)
            if ann.choose(len(ml_vectors), ann_settings or ann.AnnSettings()).kind != ann.FLAT:
                ml_index, ml_ann = ann.build(ml_vectors, ann_settings, progress=progress)
                ann.write_index(ml_index, tmp / _ML_CHUNK_INDEX)
                del ml_index
                ml_spec["ann"] = ml_ann.to_dict()
        if extras is not None:
            written = set(tmp.iterdir())
            extras(tmp)
            for added in set(tmp.iterdir()) - written:
                _fsync_tree(added)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}"
        final_manifest = Manifest(
            **{
                **asdict(manifest),
                "version": name,
                "ann": spec.to_dict(),
                "multilingual": ml_spec,
            }
        )
        _write_text(tmp / MANIFEST, final_manifest.to_json())
        _fsync_dir(tmp)
        final = versions / name
        tmp.rename(final)
        _fsync_dir(versions)
        _swap_current(index_dir, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep=final)
    return final


def load_version(
    index_dir: Path, expected_model: str | None = None, expected_backend: str | None = None
) -> StoredIndex:
    """Load the current version; a clear IndexLoadError names what is wrong and the fix.

    The chunk index is memory-mapped read-only with the manifest's search parameters applied.
    """
    path = current_version_path(index_dir)
    if path is None or not path.is_dir():
        raise IndexLoadError(
            f"no index in {index_dir}: build one with `verbatim index build --index {index_dir}`"
        )
    manifest = Manifest.from_file(path / MANIFEST)
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(
            f"index in {path} has format version {manifest.format_version}, this Verbatim "
            f"reads version {FORMAT_VERSION}: rebuild with `verbatim index build --full`"
        )
    if expected_model is not None and manifest.model != expected_model:
        raise IndexLoadError(
            f"index in {path} was built with model {manifest.model!r} but VERBATIM_MODEL is "
            f"{expected_model!r}: rebuild with `verbatim index build --full` "
            "(or set VERBATIM_MODEL back)"
        )
    if expected_backend not in (None, "hashing") and not same_vectors(
        manifest.backend, expected_backend
    ):
        raise IndexLoadError(
            f"index in {path} was built with the {manifest.backend} backend but "
            f"VERBATIM_BACKEND is {expected_backend}: their vectors are not mixed — rebuild "
            "with `verbatim index build` (or set VERBATIM_BACKEND back)"
        )
    reading = ""  # the file being read, named in the error
    try:
        reading = "documents.jsonl"
        documents = [
            Document(
                **{
                    **row,
                    "pages": tuple(row.get("pages", ())),
                    "headings": tuple(row.get("headings", ())),
                }
            )
            for row in _iter_jsonl(path / reading)
        ]
        reading = "chunks.jsonl"
        # Columns, not a list of objects; a chunk's text is its document's, never held twice
        # (files written before chunks lost their text still load: "text" is ignored).
        chunks = ChunkTable.of(
            documents,
            (
                (row["chunk_id"], row["doc_id"], int(row["start"]), int(row["end"]))
                for row in _iter_jsonl(path / reading)
            ),
        )
        reading = "sentences.npy"
        sentences = SentenceTable(np.load(path / reading, allow_pickle=False))
        reading = "chunk_vectors.npy"
        # Memory-mapped read-only (shared by every process serving this version), held as
        # plain arrays: each slice of an ``np.memmap`` pays for building another memmap.
        chunk_vectors = np.asarray(np.load(path / reading, mmap_mode="r", allow_pickle=False))
        reading = "sentence_vectors.npy"
        sentence_vectors = np.asarray(np.load(path / reading, mmap_mode="r", allow_pickle=False))
        reading = MANIFEST
        spec = ann.IndexSpec.from_dict(manifest.ann)
        reading = "chunks.faiss"
        faiss_index = ann.read_index(path / reading, spec)
        multilingual = None
        if manifest.multilingual:
            reading = _ML_SENTENCES
            ml_sentences = np.asarray(np.load(path / reading, mmap_mode="r", allow_pickle=False))
            reading = _ML_CHUNKS
            ml_chunks = np.asarray(np.load(path / reading, mmap_mode="r", allow_pickle=False))
            vocabulary = (
                load_words(path, int(manifest.multilingual["words"]), ml_sentences.shape[1])
                if "words" in manifest.multilingual
                else None
            )
            ml_index = None
            if "ann" in manifest.multilingual:
                reading = _ML_CHUNK_INDEX
                ml_index = ann.read_index(
                    path / reading, ann.IndexSpec.from_dict(manifest.multilingual["ann"])
                )
            multilingual = MultilingualVectors(
                str(manifest.multilingual.get("model", "")),
                ml_sentences,
                ml_chunks,
                vocabulary,
                ml_index,
            )
    except FileNotFoundError as exc:
        raise IndexLoadError(
            f"index file {exc.filename} is missing: rebuild with `verbatim index build --full`"
        ) from None
    except Exception as exc:
        raise IndexLoadError(
            f"index file {path / reading} is corrupt ({type(exc).__name__}: {exc}): "
            "rebuild with `verbatim index build --full`"
        ) from None
    stored = StoredIndex(
        path,
        manifest,
        documents,
        chunks,
        sentences,
        chunk_vectors,
        sentence_vectors,
        faiss_index,
        multilingual,
    )
    _check_consistent(stored)
    return stored


def load_words(path: Path, count: int, dimension: int) -> Vocabulary | None:
    """The version's words and their vectors in the multilingual space; None, with a warning,
    when they cannot be read: they only help questions in other languages, which are still
    searched without them, and the next build embeds them again (nothing else)."""
    try:
        lists = json.loads((path / _ML_WORDS).read_text(encoding="utf-8"))
        words = [*lists["documents"], *lists["common"]]
        if not all(isinstance(w, str) for w in words):
            raise ValueError("not lists of words")
        vectors = np.asarray(np.load(path / _ML_WORD_VECTORS, mmap_mode="r", allow_pickle=False))
        if len(words) != count or vectors.shape != (count, dimension):
            raise ValueError("the word vectors do not match the words")
        return Vocabulary(tuple(words), vectors, len(lists["documents"]))
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        log.warning(
            "the index's multilingual words cannot be read (%s): questions in other languages "
            "are not put into the documents' words until `verbatim index build` embeds them",
            exc,
        )
        return None


def _check_consistent(stored: StoredIndex) -> None:
    manifest, chunks, chunk_vectors = stored.manifest, stored.chunks, stored.chunk_vectors
    problems = []
    if len(stored.documents) != manifest.counts.get("documents"):
        problems.append("documents.jsonl does not match the manifest")
    if len(chunks) != manifest.counts.get("chunks") or chunk_vectors.shape[0] != len(chunks):
        problems.append("chunks and chunk vectors do not match")
    if stored.faiss_index.ntotal != len(chunks) or stored.faiss_index.d != manifest.dimension:
        problems.append("chunks.faiss does not match the chunks")
    if len(stored.sentences) != stored.sentence_vectors.shape[0]:
        problems.append("sentences and sentence vectors do not match")
    if len(chunk_vectors) and chunk_vectors.shape[1] != manifest.dimension:
        problems.append("vector dimension does not match the manifest")
    ml = stored.multilingual
    if ml is not None:
        dimension = int(manifest.multilingual.get("dimension", 0))
        shapes = (ml.sentence_vectors.shape, ml.chunk_vectors.shape)
        if shapes != ((len(stored.sentences), dimension), (len(chunks), dimension)):
            problems.append("the multilingual vectors do not match the sentences and chunks")
        if ml.chunk_index is not None and (ml.chunk_index.ntotal, ml.chunk_index.d) != (
            len(chunks),
            dimension,
        ):
            problems.append(f"{_ML_CHUNK_INDEX} does not match the chunks")
    if problems:
        raise IndexLoadError(
            f"index in {stored.path} is inconsistent ({'; '.join(problems)}): "
            "rebuild with `verbatim index build --full`"
        )


def _swap_current(index_dir: Path, target: Path) -> None:
    tmp_link = index_dir / f".{CURRENT}.{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(target, index_dir), tmp_link)
    os.replace(tmp_link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _prune(index_dir: Path, keep: Path) -> None:
    """Keep the newest versions (a bot may still be reading the previous one)."""
    versions = sorted(
        (p for p in (index_dir / VERSIONS).iterdir() if p.is_dir()), key=lambda p: p.name
    )
    for stale in versions[:-_KEEP_VERSIONS]:
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
    # Builds hold the build lock, so any other temporary folder is left by a killed build.
    for leftover in (index_dir / VERSIONS).glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for link in index_dir.glob(f".{CURRENT}.*"):
        with contextlib.suppress(OSError):
            link.unlink()


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]] | Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False))
            handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return list(_iter_jsonl(path))


def _iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """One row at a time: a list of every row's dict first held ~100 MiB at 186,017 chunks,
    which the allocator then kept."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _save_npy(path: Path, array: npt.NDArray[Any]) -> None:
    with path.open("wb") as handle:
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    """Flush a file, or a folder's files and sub-folders and then its own entries."""
    if path.is_dir():
        for child in path.iterdir():
            _fsync_tree(child)
        _fsync_dir(path)
    else:
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
