"""The bot's bridge to the core: answers off the event loop, background rebuilds, hot reload,
feedback records.

The engine (model + index) is loaded once, in ``start``. ``ask`` runs the blocking encode and
search in a worker thread. A rebuild (upload, /reindex) runs in a thread too, one at a time,
while answers keep coming from the index in use; the new one is switched in when complete.
A watcher notices a new ``current`` written by ``verbatim index build`` in another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from bot import i18n, journal, uploads
from bot.journal import Feedback, QuestionRecord
from bot.state import State
from index import corpus
from index.build import BuildSummary
from index.config import Settings
from index.corpus import CorpusEntry
from index.embedding import Embedder
from index.engine import Engine, IndexedDocument
from index.fetch import FetchSettings, Saved, add_link
from index.store import current_version_path
from index.threads import single_threaded_faiss
from index.types import Answer

log = logging.getLogger(__name__)
T = TypeVar("T")

ASK_THREADS = 32


class AnswerService:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        *,
        state_url: str | None = None,
        record_questions: bool = True,
    ) -> None:
        self.settings = settings
        self.record_questions = record_questions
        self._state_url = state_url
        self._state: State | None = None
        self._embedder = embedder
        self._engine: Engine | None = None
        self._rebuild_lock = asyncio.Lock()
        self._removing = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        # Enough threads for questions to meet in the engine's micro-batches (the default
        # executor has min(32, cores + 4)); they mostly wait on the model, not the GIL.
        # Each searches on its own thread (see index.threads).
        self._executor = ThreadPoolExecutor(
            max_workers=ASK_THREADS, thread_name_prefix="ask", initializer=single_threaded_faiss
        )

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, reload_seconds: float = 2.0) -> None:
        """Load the model and the index (building it from the corpus if there is none)."""
        self._state = await asyncio.to_thread(State, self._state_url, self.settings.index_dir)
        log.info("conversations and buttons kept in %s", self._state.where)
        spoken = await asyncio.to_thread(i18n.load)  # the bot's words in users' languages
        log.info("bot texts in English and %s", ", ".join(sorted(spoken)) or "nothing else")
        self._engine = await asyncio.to_thread(Engine.open, self.settings, self._embedder)
        engine = self._engine
        if not engine.has_index():
            log.info("no index yet: building it from %s", self.settings.corpus_dir)
            summary = await asyncio.to_thread(engine.build)
            log.info("index built: %s", summary.line())
        await asyncio.to_thread(engine.refresh)
        # the multilingual encoder and the language identifier, now rather than at the first
        # question in another language
        await asyncio.to_thread(engine.answerer.warm_up)
        self._watcher = asyncio.create_task(self._watch(reload_seconds), name="index-watcher")

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._state is not None:
            self._state.close()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("AnswerService.start() has not run")
        return self._engine

    async def _watch(self, every: float) -> None:
        """Pick up an index rebuilt by another process, without a restart."""
        while True:
            await asyncio.sleep(every)
            try:
                if await asyncio.to_thread(self.engine.refresh):
                    log.info("switched to a new index version")
            except Exception:
                log.exception("index reload failed; still serving the previous index")

    # -- answering -----------------------------------------------------------------------------

    async def ask(
        self, question: str, history: Sequence[str] = (), k: int = 3, *, force: bool = False
    ) -> Answer:
        """Answer in a worker thread. ``force`` quotes the best ``k`` passages whatever their
        confidence ("More" under an answer the user already has)."""
        call = functools.partial(self.engine.answer, question, list(history), k, force=force)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def documents(self) -> list[IndexedDocument]:
        return self.engine.documents()

    async def corpus_entries(self) -> list[CorpusEntry]:
        """The indexed documents with their files' size and date (``index.corpus``), off the
        event loop."""
        return await self.off_loop(corpus.entries, self.documents(), self.settings.corpus_dir)

    async def remove_document(self, name: str) -> str:
        """Move ``name`` out of the corpus (``index.corpus.remove``), off the event loop, one
        removal at a time (two presses of Yes: the second finds it gone): where it was
        kept. DocumentError if it is not there (any more)."""
        async with self._removing:
            return await self.off_loop(corpus.remove, self.settings.corpus_dir, name)

    # -- operations ----------------------------------------------------------------------------

    @property
    def rebuilding(self) -> bool:
        return self._rebuild_lock.locked()

    async def rebuild(self, *, full: bool = False) -> BuildSummary:
        """Update the index from the corpus in a worker thread; answers go on meanwhile."""
        async with self._rebuild_lock:
            return await asyncio.to_thread(self.engine.build, full=full)

    def index_version(self) -> Path | None:
        return current_version_path(self.settings.index_dir)

    async def check_upload(self, name: str, data: bytes) -> uploads.Checked:
        """``uploads.check`` (parse, hash, look through the corpus) off the event loop."""
        return await self.off_loop(uploads.check, self.settings.corpus_dir, name, data)

    async def store_upload(
        self, name: str, data: bytes, *, replace: bool
    ) -> tuple[str, str | None]:
        """``uploads.store`` off the event loop."""
        return await self.off_loop(
            functools.partial(uploads.store, replace=replace), self.settings.corpus_dir, name, data
        )

    async def add_link(self, url: str) -> Saved:
        """Fetch ``url`` and save it into the corpus (``index.fetch``), off the event loop:
        the file, the document's title, whether it is new or changed. FetchError says why
        not."""
        settings = FetchSettings(allow_private=self.settings.fetch_allow_private)
        corpus, index = self.settings.corpus_dir, self.settings.index_dir
        return await self.off_loop(add_link, url, corpus, index, settings)

    async def off_loop(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` on the service's threads: blocking work (files, the state store)
        never runs on the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    @property
    def state(self) -> State:
        """The conversation and button store (``bot.state``), opened by ``start``."""
        if self._state is None:
            raise RuntimeError("the service is not started")
        return self._state

    async def note_feedback(self, feedback: Feedback) -> None:
        """``record_feedback`` off the event loop, on the service's own threads."""
        await self.off_loop(self.record_feedback, feedback)

    def record_feedback(self, feedback: Feedback) -> None:
        """Append the vote to ``feedback.jsonl`` next to the index (see ``bot.journal``)."""
        journal.append(self.settings.index_dir / journal.FEEDBACK_FILE, feedback)

    async def note_question(self, record: QuestionRecord) -> None:
        """``record_question`` on the service's own threads (never queued behind whatever
        else uses the event loop's default executor)."""
        await self.off_loop(self.record_question, record)

    def record_question(self, record: QuestionRecord) -> None:
        """Append to ``questions.jsonl`` unless VERBATIM_RECORD_QUESTIONS is false. A disk
        that refuses the write is logged, never the user's problem."""
        if not self.record_questions:
            return
        try:
            journal.append(self.settings.index_dir / journal.QUESTIONS_FILE, record)
        except OSError as exc:
            log.warning("could not record the question: %s", exc)


__all__ = ["AnswerService", "Feedback", "QuestionRecord"]
