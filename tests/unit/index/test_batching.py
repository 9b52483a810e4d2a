"""The micro-batcher merges concurrent calls and never mixes up or loses results."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from index.batching import MicroBatcher
from index.engine import Engine


def test_a_lone_call_runs_at_once_alone() -> None:
    seen: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        seen.append(items)
        return [2 * i for i in items]

    batcher = MicroBatcher(double)
    assert batcher(21) == 42
    assert seen == [[21]]


def test_concurrent_calls_are_batched_and_each_gets_its_own_result() -> None:
    release = threading.Event()
    sizes: list[int] = []

    def slow_square(items: list[int]) -> list[int]:
        sizes.append(len(items))
        if len(sizes) == 1:
            release.wait(5)  # hold the first batch so the others queue behind it
        return [i * i for i in items]

    batcher = MicroBatcher(slow_square, max_batch=8)
    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(batcher, i) for i in range(20)]
        time.sleep(0.2)
        release.set()
        results = [f.result(timeout=10) for f in futures]
    assert results == [i * i for i in range(20)]
    assert sum(sizes) == 20
    assert len(sizes) < 20 and max(sizes) <= 8


def test_an_error_reaches_every_caller_of_its_batch_and_the_batcher_recovers() -> None:
    def fail_on_seven(items: list[int]) -> list[int]:
        if 7 in items:
            raise ValueError("seven")
        return items

    batcher = MicroBatcher(fail_on_seven)
    with pytest.raises(ValueError, match="seven"):
        batcher(7)
    assert batcher(3) == 3


def test_bad_batch_size_is_refused() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda items: items, max_batch=0)


def test_engine_serves_repeats_from_its_cache_until_a_new_version(engine: Engine) -> None:
    first = engine.answer("When did Hekla erupt?")
    assert engine.answer("When did Hekla erupt?") is first
    assert engine.cache_hits == 1
    # Another history is another question.
    assert engine.answer("When did Hekla erupt?", ["Where is Iceland?"]) is not first
    (engine.settings.corpus_dir / "more.txt").write_text("More\n\nHekla is a stratovolcano.\n")
    engine.build()
    assert engine.answer("When did Hekla erupt?") is not first
