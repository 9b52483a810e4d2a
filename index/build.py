"""Building the index from the corpus folder, incrementally.

A document whose bytes (content hash), the model and the chunking settings are unchanged keeps
its chunks and vectors from the current version; changed documents are re-read, re-chunked and
re-embedded; documents gone from the corpus are dropped. ``full=True`` re-embeds everything.

One module (about 480 lines): reading, reusing and writing a version are one transaction
under one lock; split, each part would need the others' intermediate state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import sentence_index
from index.chunking import chunk_document, chunking_record, sentences_for
from index.config import ChunkingSettings
from index.documents import (
    READERS_VERSION,
    SUPPORTED_NAMES,
    doc_id_for,
    iter_corpus_files,
    read_document,
    sha256_bytes,
)
from index.embedding import Embedder, Vectors, same_vectors
from index.errors import ConfigError, CorpusError, DocumentError, IndexLoadError
from index.languages import shared_identifier
from index.scorer import MULTILINGUAL_SCORER_FILE, scorer_version
from index.store import (
    CHUNK_VECTORS,
    FORMAT_VERSION,
    Manifest,
    MultilingualVectors,
    StoredIndex,
    build_lock,
    current_version_path,
    load_version,
    utc_now,
    write_version,
)
from index.translation import Vocabulary, embed_vocabulary
from index.types import Chunk, Document, SentenceTable, Span

log = logging.getLogger(__name__)

_EMBED_BATCH = 256


@dataclass(frozen=True)
class BuildSummary:
    added: int
    changed: int
    removed: int
    unchanged: int
    failed: list[str]
    documents: int
    chunks: int
    sentences: int
    seconds: float
    written: bool
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    remade: str = ""  # what was made again with no document changed ("lexical indexes"...)
    #: documents of the index in use embedded again though unchanged (``--full``, another
    #: model, backend or chunking)
    reembedded: int = 0
    #: the backend that embedded the documents when not the index's own (``documents_embedder``)
    embedded_with: str = ""

    def line(self) -> str:
        text = (
            f"documents: {self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged"
        )
        if self.reembedded:
            text += f", {self.reembedded} re-embedded"
        if self.failed:
            text += f", {len(self.failed)} failed"
        text += f"; {self.documents} documents, {self.chunks} chunks; {self.seconds:.1f} s"
        if self.embedded_with:
            text += f" (sentences embedded with {self.embedded_with})"
        if not self.written:
            text += " (index already up to date)"
        elif self.remade and not (self.added or self.changed or self.removed):
            if self.reembedded:  # the splitter or the readers changed (and perhaps more)
                done = (
                    "the documents read or cut otherwise embedded again, the others' vectors kept"
                )
            elif "multilingual vectors" in self.remade:
                done = "the multilingual space embedded, the documents' vectors kept"
            elif "multilingual words" in self.remade:
                done = "the documents' words embedded in the multilingual space, nothing else"
            else:
                done = "nothing re-embedded"
            text += f" (new version: its {self.remade} were made otherwise; {done})"
        return text


@dataclass
class _DocParts:
    doc: Document
    sentences: list[Span]
    chunks: list[Chunk]
    chunk_vectors: Vectors | None = None
    sentence_vectors: Vectors | None = None
    #: the same in the multilingual space (``index.multilingual``), when the index has one
    ml_chunk_vectors: Vectors | None = None
    ml_sentence_vectors: Vectors | None = None


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunking: ChunkingSettings,
    *,
    full: bool = False,
    progress: bool = False,
    multilingual: Embedder | None = None,
    documents_embedder: Callable[[int], Embedder] | None = None,
) -> BuildSummary:
    """Build (or update) the index of ``corpus_dir``; with ``multilingual``, its sentences and
    chunks are also embedded in that encoder's space (questions in other languages).
    ``documents_embedder``: given how many sentences are to be embedded, what embeds them
    (``embedder`` itself, or one whose vectors agree with its: ``same_vectors``)."""
    started = time.perf_counter()
    with build_lock(index_dir):
        previous = None if full else _previous(index_dir, embedder, chunking)
        # only the sentence splitter changed: documents it cuts as before keep their vectors
        resplit = previous is not None and previous.manifest.chunking != chunking_record(chunking)
        if resplit:
            log.info("the sentence splitter changed: documents it cuts otherwise are re-embedded")
        old_parts = _parts_by_source(previous, multilingual) if previous else {}
        # the readers changed: unchanged files are read again, re-embedded if they read otherwise
        reread = previous is not None and previous.manifest.extra.get("readers") != str(
            READERS_VERSION
        )
        if reread:
            log.info("the document readers changed: documents they read otherwise are re-embedded")
        parts: list[_DocParts] = []
        failed: list[str] = []
        added = changed = unchanged = reembedded = 0
        seen: set[str] = set()
        # What the index in use holds (and since when), also when nothing of it is reused:
        # then its documents are re-embedded, not added
        dates = _added_dates(index_dir)
        for path in iter_corpus_files(corpus_dir):
            source = path.relative_to(corpus_dir).as_posix()
            seen.add(source)
            old = old_parts.get(source)
            try:
                raw = path.read_bytes()
            except OSError as exc:
                failed.append(f"{source}: cannot read file ({exc.strerror or exc})")
                if old is not None:
                    reembedded += _keep(parts, old, chunking, resplit)
                continue
            if old is not None and old.doc.content_hash == sha256_bytes(raw):
                doc = _read_again(path, corpus_dir, raw, old.doc, failed) if reread else None
                if doc is None:
                    if _keep(parts, old, chunking, resplit):
                        reembedded += 1
                    else:
                        unchanged += 1
                else:
                    parts.append(_cut(doc, chunking))
                    reembedded += 1
                continue
            try:
                doc = read_document(path, corpus_dir, raw)
            except DocumentError as exc:
                failed.append(str(exc))
                if old is not None:  # keep the last readable version rather than lose it
                    reembedded += _keep(parts, old, chunking, resplit)
                continue
            parts.append(_cut(doc, chunking))
            if old is not None:
                changed += 1
            elif source in dates:
                reembedded += 1
            else:
                added += 1
        for message in failed:
            log.warning("%s", message)
        removed = len(set(dates) - seen)
        if not parts:
            raise CorpusError(
                f"no readable document in {corpus_dir} (supported: {SUPPORTED_NAMES})"
            )
        stale = _stale(previous, multilingual) if previous is not None else ""
        if resplit:
            stale = " and ".join(x for x in (stale, "sentences") if x)
        if stale:
            log.info("the index's %s changed: writing a new version (main vectors kept)", stale)
        if previous is not None and not (added or changed or removed or stale):
            return BuildSummary(
                0,
                0,
                0,
                unchanged,
                failed,
                len(parts),
                len(previous.chunks),
                len(previous.sentences),
                time.perf_counter() - started,
                written=False,
                path=previous.path,
            )
        embedded_with = _embed_missing(parts, embedder, progress, documents_embedder)
        words = None
        if multilingual is not None:
            _embed_multilingual(parts, multilingual, progress)
            words = _embed_words(parts, multilingual, previous)
        path = _write(index_dir, parts, embedder, chunking, started, progress, dates, words)
        return BuildSummary(
            added,
            changed,
            removed,
            unchanged,
            failed,
            len(parts),
            sum(len(p.chunks) for p in parts),
            sum(len(p.sentences) for p in parts),
            time.perf_counter() - started,
            written=True,
            path=path,
            remade=stale,
            reembedded=reembedded,
            embedded_with=embedded_with,
        )


def _previous(
    index_dir: Path, embedder: Embedder, chunking: ChunkingSettings
) -> StoredIndex | None:
    try:
        previous = load_version(index_dir)
    except IndexLoadError as exc:
        if (index_dir / "current").is_symlink():
            log.warning("current index cannot be reused, rebuilding everything: %s", exc)
        return None
    m = previous.manifest
    cut = {k: v for k, v in m.chunking.items() if k != "splitter"}
    if not same_vectors(m.backend, embedder.backend) or (m.model, m.dimension, cut) != (
        embedder.name,
        embedder.dimension,
        chunking.model_dump(),
    ):
        log.info("model, backend or chunking settings changed: rebuilding everything")
        return None
    if m.chunk_vectors != CHUNK_VECTORS:
        log.info("the index's chunk vectors were made another way: rebuilding everything")
        return None
    return previous


def _keep(
    parts: list[_DocParts], old: _DocParts, chunking: ChunkingSettings, resplit: bool
) -> bool:
    """Add a document of the index in use that is not read again (unchanged, or unreadable
    now) to ``parts``: as it was, with its vectors, or, when the splitter changed
    (``resplit``) and cuts it otherwise, cut anew to be embedded again (then True)."""
    if resplit:
        sentences = sentences_for(old.doc, chunking.chunk_size)
        chunks = chunk_document(old.doc, chunking, sentences)
        if sentences != old.sentences or [(c.start, c.end) for c in chunks] != [
            (c.start, c.end) for c in old.chunks
        ]:
            parts.append(_DocParts(old.doc, sentences, chunks))
            return True
    parts.append(old)
    return False


def _cut(doc: Document, chunking: ChunkingSettings) -> _DocParts:
    """A document read now, cut into sentences and chunks, to be embedded."""
    sentences = sentences_for(doc, chunking.chunk_size)
    return _DocParts(doc, sentences, chunk_document(doc, chunking, sentences))


def _read_again(
    path: Path, corpus_dir: Path, raw: bytes, old: Document, failed: list[str]
) -> Document | None:
    """``path`` read by today's readers, or None when it reads as ``old`` did (or cannot be
    read now: the last readable version is kept, as for a changed file, and the failure is
    added to ``failed``)."""
    try:
        doc = read_document(path, corpus_dir, raw)
    except DocumentError as exc:
        failed.append(f"{exc} (kept as read before)")
        return None
    return None if doc == old else doc


def _derived(multilingual: Embedder | None) -> dict[str, str]:
    """What a version is made with besides the model and chunking: the learned scorer it was
    built beside (it reads the features of the version's sentences; ``verbatim index info``
    shows it), the multilingual path's when it has that space, and the format and tokenizer
    of its lexical indexes."""
    out = {
        "scorer": scorer_version(),
        "lexical": sentence_index.signature(),
        "readers": str(READERS_VERSION),
    }
    if multilingual is not None:
        out["multilingual_scorer"] = scorer_version(MULTILINGUAL_SCORER_FILE)
    return out


def _stale(previous: StoredIndex, multilingual: Embedder | None) -> str:
    """Which of ``_derived`` (or the multilingual space) the version in use was made
    otherwise ("" if none)."""
    extra = previous.manifest.extra
    stale = [
        "lexical indexes" if key == "lexical" else key.replace("_", " ")
        for key, value in _derived(multilingual).items()
        if extra.get(key) != value
    ]
    wanted = multilingual.name if multilingual is not None else None
    if previous.manifest.multilingual.get("model") != wanted:
        stale.append("multilingual vectors")
    elif previous.multilingual is not None and previous.multilingual.vocabulary is None:
        stale.append("multilingual words")  # from before them, or unreadable
    return " and ".join(stale)


def _parts_by_source(stored: StoredIndex, multilingual: Embedder | None) -> dict[str, _DocParts]:
    by_doc: dict[str, list[int]] = {}
    for row, chunk in enumerate(stored.chunks):
        by_doc.setdefault(chunk.doc_id, []).append(row)
    out: dict[str, _DocParts] = {}
    for doc_row, doc in enumerate(stored.documents):
        sent_rows = stored.sentences.of_document(doc_row)
        chunk_rows = by_doc.get(doc.doc_id, [])
        out[doc.source] = _DocParts(
            doc,
            stored.sentences.spans(sent_rows),
            [stored.chunks[r] for r in chunk_rows],
            np.asarray(stored.chunk_vectors[chunk_rows], dtype=np.float32),
            np.asarray(stored.sentence_vectors[sent_rows], dtype=np.float32),
        )
        ml = stored.multilingual
        if multilingual is not None and ml is not None and ml.model == multilingual.name:
            out[doc.source].ml_chunk_vectors = np.asarray(
                ml.chunk_vectors[chunk_rows], dtype=np.float32
            )
            out[doc.source].ml_sentence_vectors = np.asarray(
                ml.sentence_vectors[sent_rows], dtype=np.float32
            )
    return out


def _embed_missing(
    parts: list[_DocParts],
    embedder: Embedder,
    progress: bool,
    documents_embedder: Callable[[int], Embedder] | None = None,
) -> str:
    """Embed the sentences of new or changed documents, in length-sorted batches; a chunk's
    vector is pooled from its sentences' (``pool_chunk_vectors``). Returns the backend that
    embedded them when it was not ``embedder``'s."""
    todo = [p for p in parts if p.chunk_vectors is None]
    encoder = embedder
    if documents_embedder is not None and todo:
        encoder = documents_embedder(sum(len(p.sentences) for p in todo))
        if (encoder.name, encoder.dimension) != (embedder.name, embedder.dimension) or (
            not same_vectors(encoder.backend, embedder.backend)
        ):
            raise ConfigError(
                f"the documents cannot be embedded with {encoder.name} on {encoder.backend}: "
                f"its vectors do not agree with {embedder.name} on {embedder.backend}'s"
            )
    for p, (sentence_vectors, chunk_vectors) in zip(
        todo, _embed_parts(todo, encoder, progress), strict=True
    ):
        p.sentence_vectors, p.chunk_vectors = sentence_vectors, chunk_vectors
    return encoder.backend if encoder.backend != embedder.backend else ""


def _embed_multilingual(parts: list[_DocParts], encoder: Embedder, progress: bool) -> None:
    """The same for the multilingual space: the sentences of every document that has no
    vectors in it yet (new, changed, or the space was just switched on)."""
    todo = [p for p in parts if p.ml_sentence_vectors is None]
    for p, (sentence_vectors, chunk_vectors) in zip(
        todo, _embed_parts(todo, encoder, progress), strict=True
    ):
        p.ml_sentence_vectors, p.ml_chunk_vectors = sentence_vectors, chunk_vectors


@dataclass(frozen=True)
class _Multilingual:
    """What a version's multilingual space holds besides its vectors."""

    encoder: Embedder
    language: str  # the documents'
    words: Vocabulary


def _embed_words(
    parts: list[_DocParts], encoder: Embedder, previous: StoredIndex | None
) -> _Multilingual:
    """The documents' language, and their words and their language's common ones in the
    multilingual space (``index.translation``); words the version in use has are kept."""
    language = shared_identifier().corpus_language(p.doc.text for p in parts)
    words, own = Vocabulary.of((p.doc.text for p in parts), language)
    ml = previous.multilingual if previous is not None else None
    kept = ml.vocabulary if ml is not None and ml.model == encoder.name else None
    return _Multilingual(encoder, language, embed_vocabulary(words, own, encoder, kept))


def _embed_parts(
    todo: list[_DocParts], embedder: Embedder, progress: bool
) -> list[tuple[Vectors, Vectors]]:
    """Each document's sentence vectors and its chunks' pooled from them, all sentences
    embedded in one pass."""
    texts = [p.doc.text[s.start : s.end] for p in todo for s in p.sentences]
    vectors = embed_all(texts, embedder, progress)
    out = []
    offset = 0
    for p in todo:
        sentence_vectors = vectors[offset : offset + len(p.sentences)]
        out.append((sentence_vectors, pool_chunk_vectors(p.chunks, p.sentences, sentence_vectors)))
        offset += len(p.sentences)
    return out


def pool_chunk_vectors(chunks: list[Chunk], sentences: list[Span], vectors: Vectors) -> Vectors:
    """Chunk vectors as the length-weighted mean of their sentences' vectors, normalised.

    Chunks are runs of whole sentences, so this is the mean pooling the model itself applies
    over tokens, one level up. It halves the build's encoding work (every text is encoded
    once, as a sentence, instead of once more inside each chunk that holds it). On the SQuAD
    evaluation every quality figure was the same to three decimals as with chunks encoded
    directly (chunk vectors only bring candidates in; the ranking is sentence-level).
    """
    out = np.zeros((len(chunks), vectors.shape[1] if vectors.ndim == 2 else 0), np.float32)
    if not chunks or not sentences:
        return out
    starts = np.array([s.start for s in sentences])
    lengths = np.array([s.end - s.start for s in sentences], dtype=np.float32)
    for row, chunk in enumerate(chunks):
        lo = int(np.searchsorted(starts, chunk.start, side="left"))
        hi = int(np.searchsorted(starts, chunk.end, side="left"))
        if hi <= lo:
            continue
        pooled = lengths[lo:hi] @ vectors[lo:hi]
        out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-9)
    return out


def embed_all(texts: list[str], embedder: Embedder, progress: bool = False) -> Vectors:
    """Embed many texts: sorted by length so each batch pads little, with a progress bar."""
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    if not texts:
        return out
    order = np.argsort([len(t) for t in texts], kind="stable")
    from tqdm import tqdm

    with tqdm(
        total=len(texts), desc="embedding", unit="text", disable=not progress, leave=False
    ) as bar:
        for lo in range(0, len(texts), _EMBED_BATCH):
            rows = order[lo : lo + _EMBED_BATCH]
            out[rows] = embedder.encode([texts[i] for i in rows])
            bar.update(len(rows))
    return out


def _added_dates(index_dir: Path) -> dict[str, str]:
    """When each document of the index in use was added (its version's build time for an
    index from before this was recorded); nothing when there is no readable index."""
    path = current_version_path(index_dir)
    if path is None:
        return {}
    try:
        manifest = Manifest.from_file(path / "manifest.json")
    except IndexLoadError:
        return {}
    return {source: manifest.added(source) for source in manifest.documents}


def _write(
    index_dir: Path,
    parts: list[_DocParts],
    embedder: Embedder,
    chunking: ChunkingSettings,
    started: float,
    progress: bool,
    added: dict[str, str],
    space: _Multilingual | None,
) -> Path:
    documents = [p.doc for p in parts]
    chunks = [c for p in parts for c in p.chunks]
    sentences = SentenceTable.of((row, s) for row, p in enumerate(parts) for s in p.sentences)
    dim = embedder.dimension
    chunk_vectors = _stack([p.chunk_vectors for p in parts], dim)
    sentence_vectors = _stack([p.sentence_vectors for p in parts], dim)
    ml_vectors = ml_spec = None
    multilingual = space.encoder if space is not None else None
    if space is not None:
        ml_dim = space.encoder.dimension
        ml_vectors = MultilingualVectors(
            space.encoder.name,
            _stack([p.ml_sentence_vectors for p in parts], ml_dim),
            _stack([p.ml_chunk_vectors for p in parts], ml_dim),
            space.words,
        )
        ml_spec = {
            "model": space.encoder.name,
            "dimension": ml_dim,
            "backend": space.encoder.backend,
            "words": len(space.words.words),
        }
    now = utc_now()
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=embedder.name,
        backend=embedder.backend,
        dimension=dim,
        chunking=chunking_record(chunking),
        chunk_vectors=CHUNK_VECTORS,
        documents={
            p.doc.source: {
                "doc_id": p.doc.doc_id,
                "content_hash": p.doc.content_hash,
                "title": p.doc.title,
                "url": p.doc.url,
                "chars": len(p.doc.text),
                "chunks": len(p.chunks),
                "sentences": len(p.sentences),
                # when the document first came into this index (kept through full rebuilds)
                "added": added.get(p.doc.source, now),
            }
            for p in parts
        },
        counts={"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        built_at=now,
        build_seconds=round(time.perf_counter() - started, 3),
        # which learned scorer the index was built beside (it reads the features of this
        # version's sentences; ``verbatim index info`` shows it)
        extra=_derived(multilingual),
        multilingual=ml_spec or {},
        # the documents' language routes questions between the two spaces (index.routing)
        language=space.language if space is not None else "",
    )
    return write_version(
        index_dir,
        manifest,
        documents,
        chunks,
        sentences,
        chunk_vectors,
        sentence_vectors,
        progress=progress,
        extras=lambda folder: sentence_index.save(
            folder / sentence_index.LEXICAL_DIR, documents, chunks, sentences
        ),
        multilingual=ml_vectors,
    )


def _stack(blocks: list[Vectors | None], dim: int) -> Vectors:
    arrays = [b for b in blocks if b is not None and len(b)]
    if not arrays:
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(arrays), dtype=np.float32)


__all__ = ["BuildSummary", "build_index", "doc_id_for", "embed_all"]
