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
import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.answering import Answer
from index.build import BuildSummary
from index.config import Settings
from index.embedding import Embedder
from index.engine import Engine
from index.store import current_version_path

log = logging.getLogger(__name__)

ASK_THREADS = 32


@dataclass(frozen=True)
class Feedback:
    question: str
    passages: list[str]
    vote: str  # "up" or "down"
    chat: str  # hashed chat id, not the id itself
    time: str


class AnswerService:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._engine: Engine | None = None
        self._rebuild_lock = asyncio.Lock()
        self._feedback_lock = threading.Lock()
        self._watcher: asyncio.Task[None] | None = None
        # Enough threads for questions to meet in the engine's micro-batches (the default
        # executor has min(32, cores + 4)); they mostly wait on the model, not the GIL.
        self._executor = ThreadPoolExecutor(max_workers=ASK_THREADS, thread_name_prefix="ask")

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, reload_seconds: float = 2.0) -> None:
        """Load the model and the index (building it from the corpus if there is none)."""
        self._engine = await asyncio.to_thread(Engine.open, self.settings, self._embedder)
        engine = self._engine
        if not engine.has_index():
            log.info("no index yet: building it from %s", self.settings.corpus_dir)
            summary = await asyncio.to_thread(engine.build)
            log.info("index built: %s", summary.line())
        await asyncio.to_thread(engine.refresh)
        self._watcher = asyncio.create_task(self._watch(reload_seconds), name="index-watcher")

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        self._executor.shutdown(wait=False, cancel_futures=True)

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

    def documents(self) -> list[dict[str, object]]:
        stored = self.engine.answerer.stored
        built = stored.manifest.built_at
        return [
            {
                "title": d.title,
                "source": d.source,
                "url": d.url,
                "chunks": stored.manifest.documents.get(d.source, {}).get("chunks", 0),
                "indexed": built,
            }
            for d in stored.documents
        ]

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

    def record_feedback(self, feedback: Feedback) -> None:
        """Append one JSON line next to the index (``feedback.jsonl``), whole or not at all."""
        path = self.settings.index_dir / "feedback.jsonl"
        line = json.dumps(feedback.__dict__, ensure_ascii=False) + "\n"
        with self._feedback_lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line.encode("utf-8"))  # one write of one line: O_APPEND is atomic
            finally:
                os.close(fd)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
