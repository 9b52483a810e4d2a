"""Opportunistic micro-batching for calls made from many threads at once.

Encoding one question costs almost as much as encoding many together (the model's matrix
products are far more efficient on a batch), and scoring one query vector against every
sentence vector reads the whole matrix for one result. When the bot answers many questions at
once, ``MicroBatcher`` merges the concurrent calls into one call of a batch function.

It adds no waiting: an idle batcher runs a call at once, alone. Calls that arrive while a batch
is running queue up, and the first of them runs the next batch with everything queued by then
(up to ``max_batch``). So a lone question takes the one-question path, and under load batches
grow by themselves to match the arrival rate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(eq=False)
class _Slot(Generic[In, Out]):
    item: In
    event: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    result: Out | None = None
    error: BaseException | None = None


class MicroBatcher(Generic[In, Out]):
    """``batcher(item)`` returns ``fn([..., item, ...])[i]``, batching concurrent callers.

    ``fn`` takes a list of items and returns one result per item, in order. If it raises,
    every caller of that batch gets the exception.
    """

    def __init__(self, fn: Callable[[list[In]], Sequence[Out]], max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._fn = fn
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: list[_Slot[In, Out]] = []
        self._running = False
        self.batches = 0  # how many times fn ran (for benchmarks)
        self.items = 0

    def __call__(self, item: In) -> Out:
        slot: _Slot[In, Out] = _Slot(item)
        with self._lock:
            self._pending.append(slot)
            lead = not self._running
            self._running = True
        if not lead:
            slot.event.wait()
            if not slot.done:  # promoted: this caller runs the next batch
                self._run_batch()
        else:
            self._run_batch()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run_batch(self) -> None:
        with self._lock:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
        try:
            results = list(self._fn([s.item for s in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"batch function returned {len(results)} for {len(batch)}")
            for s, r in zip(batch, results, strict=True):
                s.result = r
        except BaseException as exc:
            for s in batch:
                s.error = exc
        with self._lock:
            self.batches += 1
            self.items += len(batch)
            successor = self._pending[0] if self._pending else None
            if successor is None:
                self._running = False
        for s in batch:
            s.done = True
            s.event.set()
        if successor is not None:
            successor.event.set()  # not done: it leads the next batch
