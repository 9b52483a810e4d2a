"""The engine: settings + embedder + the current index, reloaded when a new build lands.

The embedding model is loaded once per process. The index is loaded once and swapped for a new
``Answerer`` when ``current`` points at a new version (``refresh``): callers keep answering
from the old one until the new one is fully loaded, then switch with one assignment.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.answering import Answerer
from index.build import BuildSummary, build_index
from index.config import Settings
from index.embedding import Embedder, cpu_multiplies_bf16, load_embedder, same_vectors
from index.errors import IndexLoadError
from index.multilingual import multilingual_of
from index.store import StoredIndex, current_version_path, load_version
from index.types import Answer, Document

log = logging.getLogger(__name__)

#: Answers kept per index version (an answer is a few kB: a few MB at most).
CACHE_SIZE = 2048
#: VERBATIM_BUILD_BACKEND=auto embeds the documents with torch-bf16 from this many sentences
#: on: importing torch and loading the model cost about 3 s, which embedding at ~690 sentences
#: a second instead of ~395 (onnx) wins back from about 2,700 on (bench/build_speed.py --bf16)
BF16_FROM_SENTENCES = 3000


@dataclass(frozen=True)
class IndexedDocument:
    """A document of the index in use: the document, its chunk count, when its version was
    built (ISO 8601, UTC)."""

    document: Document
    chunks: int
    indexed: str
    #: when the document came into the index (ISO 8601, UTC)
    added: str = ""

    @property
    def title(self) -> str:
        return self.document.title


def indexed_documents(stored: StoredIndex) -> list[IndexedDocument]:
    """The documents of a loaded index version, in corpus order."""
    manifest = stored.manifest
    entries = manifest.documents
    return [
        IndexedDocument(
            d,
            int(entries.get(d.source, {}).get("chunks", 0)),
            manifest.built_at,
            manifest.added(d.source),
        )
        for d in stored.documents
    ]


class Engine:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        multilingual: Embedder | None = None,
        *,
        builds_only: bool = False,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        #: the process builds and exits (``verbatim index build``, ``add``, ``remove``): only
        #: then may VERBATIM_BUILD_BACKEND=auto load a second model for the documents (in a
        #: process that goes on answering, torch would stay imported: ~290 MB)
        self.builds_only = builds_only
        #: the encoder of the multilingual space (questions in other languages), if any
        self.multilingual = multilingual
        self._answerer: Answerer | None = None
        self._loaded_path: Path | None = None
        self._reload_lock = threading.Lock()
        self.cache_size = CACHE_SIZE
        self.cache_hits = 0
        self._cache: OrderedDict[tuple[object, ...], Answer] = OrderedDict()
        self._cache_for: Answerer | None = None
        self._cache_lock = threading.Lock()

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder | None = None, *, builds_only: bool = False
    ) -> Engine:
        """The engine of these settings: the main model (unless given) and, with
        VERBATIM_MULTILINGUAL, the multilingual encoder."""
        return cls(
            settings,
            embedder or load_embedder(settings.model, settings.backend, settings.model_cache),
            multilingual_of(settings),
            builds_only=builds_only,
        )

    # -- index lifecycle ---------------------------------------------------------------------

    def has_index(self) -> bool:
        return current_version_path(self.settings.index_dir) is not None

    def build(self, *, full: bool = False, progress: bool = False) -> BuildSummary:
        summary = build_index(
            self.settings.corpus_dir,
            self.settings.index_dir,
            self.embedder,
            self.settings.chunking,
            full=full,
            progress=progress,
            multilingual=self.multilingual,
            documents_embedder=self.documents_embedder,
        )
        self.refresh()
        return summary

    def documents_embedder(self, sentences: int) -> Embedder:
        """What embeds ``sentences`` sentences of a build (VERBATIM_BUILD_BACKEND): the
        question's embedder, or one loaded for this build alone (not kept: the bot does not
        hold a second model between builds)."""
        choice, embedder = self.settings.build_backend, self.embedder
        if choice == "auto":
            bulk = (
                self.builds_only
                and sentences >= BF16_FROM_SENTENCES
                and same_vectors("torch-bf16", embedder.backend)  # not int8, not a test fake
                and cpu_multiplies_bf16()
            )
            if not bulk:
                return embedder
            choice = "torch-bf16"
        if choice in ("same", embedder.backend):
            return embedder
        log.info("embedding %d sentences with %s", sentences, choice)
        return load_embedder(self.settings.model, choice, self.settings.model_cache)

    def refresh(self) -> bool:
        """Load the current version if it is not the one in use. True when it switched.

        A version that fails to load leaves the previous one in use (and raises only when
        there is none).
        """
        path = current_version_path(self.settings.index_dir)
        if path is not None and path == self._loaded_path:
            return False
        with self._reload_lock:
            if path is not None and path == self._loaded_path:
                return False
            try:
                stored = load_version(
                    self.settings.index_dir,
                    expected_model=self.embedder.name,
                    expected_backend=self.embedder.backend,
                )
            except IndexLoadError:
                if self._answerer is None:
                    raise
                log.exception("new index could not be loaded; still serving %s", self._loaded_path)
                self._loaded_path = path  # do not retry the same broken version in a loop
                return False
            answerer = Answerer(
                stored,
                self.embedder,
                max_question_chars=self.settings.max_question_chars,
                multilingual=self.multilingual,
            )
            if self._answerer is not None:  # a new version while serving: ready before use
                answerer.prepare()
            self._answerer = answerer
            self._loaded_path = stored.path
            log.info("index loaded: %s (%d chunks)", stored.path.name, len(stored.chunks))
            return True

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            self.refresh()
        assert self._answerer is not None
        return self._answerer

    def documents(self) -> list[IndexedDocument]:
        """The documents of the index in use, in corpus order."""
        return indexed_documents(self.answerer.stored)

    def answer(
        self, question: str, history: Sequence[str] = (), k: int = 3, *, force: bool = False
    ) -> Answer:
        """The answer, from the cache when the same question (with the same history) was
        answered from the same index version; a new version starts a new cache."""
        answerer = self.answerer
        key = (id(answerer), question, tuple(history), k, force)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return cached
        answer = answerer.answer(question, history, k, force=force)
        with self._cache_lock:
            if self._cache_for is not answerer:
                self._cache.clear()
                self._cache_for = answerer
            self._cache[key] = answer
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return answer
