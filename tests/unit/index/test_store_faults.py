"""Faults: a build killed with SIGKILL, corrupt or truncated index files, a disk that refuses
writes. The index in use must survive all of them, and the next build must complete."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import journal
from index.build import build_index
from index.config import ChunkingSettings, Settings
from index.engine import Engine
from index.errors import IndexLoadError
from index.store import current_version_path, load_version, utc_now
from tests.conftest import ARTICLE, CountingEmbedder


def _big_corpus(folder: Path, documents: int = 60) -> None:
    """Enough text that a build takes a second or so with the hashing embedder."""
    text = ARTICLE.read_text(encoding="utf-8")
    for i in range(documents):
        (folder / f"copy{i:03d}.txt").write_text(f"Copy {i}\n\n{text}\n{i}\n", encoding="utf-8")


def _build_cmd(corpus: Path, index: Path) -> list[str]:
    build = ["index", "build", "--full", "--corpus", str(corpus), "--index", str(index)]
    return [sys.executable, "-m", "index.cli", *build]


ENV = {**os.environ, "VERBATIM_MODEL": "hashing-fake"}


def test_a_build_killed_at_random_points_never_damages_the_index(
    corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    settings = Settings(corpus_dir=corpus, index_dir=index, model="hashing-fake")
    Engine(settings, CountingEmbedder()).build()
    good = current_version_path(index)
    _big_corpus(corpus)
    started = time.perf_counter()
    subprocess.run(_build_cmd(corpus, index), env=ENV, check=True, capture_output=True)
    full_seconds = time.perf_counter() - started
    good = current_version_path(index)
    assert good is not None

    rng = random.Random(20261125)
    killed = 0
    for _ in range(6):
        proc = subprocess.Popen(
            _build_cmd(corpus, index),
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, full_seconds))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
        # Whatever the moment, `current` names a complete version that loads and answers.
        current = current_version_path(index)
        assert current is not None
        stored = load_version(index, expected_model="hashing-fake")
        assert len(stored.documents) == 62
        engine = Engine(settings, CountingEmbedder())
        assert engine.answer("When was Koryolink established?", force=True).passages
    assert killed >= 3, "the build finished before most kills: make the corpus bigger"

    done = subprocess.run(_build_cmd(corpus, index), env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "62 documents" in done.stdout
    assert not list((index / "versions").glob(".tmp-*")), "a killed build's leftovers remain"
    assert len([p for p in (index / "versions").iterdir() if p.is_dir()]) <= 2


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("manifest.json", b"{ truncated"),
        ("chunks.jsonl", b'{"chunk_id": "x", "doc'),
        ("documents.jsonl", b"\x00\x01binary"),
        ("chunks.faiss", b"not faiss"),
        ("sentences.npy", b"\x93NUMPY truncated"),
        ("chunk_vectors.npy", b""),
        ("sentence_vectors.npy", b"\x93NUMPY"),
    ],
)
def test_a_damaged_file_is_named_with_the_fix_and_the_running_engine_keeps_serving(
    settings: Settings, name: str, damage: bytes
) -> None:
    engine = Engine(settings, CountingEmbedder())
    engine.build()
    assert engine.answer("When did Hekla erupt?", force=True).passages
    (settings.corpus_dir / "new.txt").write_text("New\n\nA new document about geysers.\n")
    Engine(settings, CountingEmbedder()).build()  # another process builds a new version...
    new = current_version_path(settings.index_dir)
    assert new is not None
    (new / name).write_bytes(damage)  # ...which is then damaged
    with pytest.raises(IndexLoadError) as err:
        load_version(settings.index_dir, expected_model="hashing-fake")
    message = str(err.value)
    assert name in message or "inconsistent" in message
    assert "verbatim index build" in message
    # The engine that was serving refuses the broken version and keeps the last good one.
    assert not engine.refresh()
    assert engine.answer("When did Hekla erupt?", force=True).passages


def test_a_disk_that_refuses_writes_during_a_build_leaves_nothing_half_written(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    chunking = ChunkingSettings(chunk_size=300, chunk_overlap=60)
    build_index(corpus, index, CountingEmbedder(), chunking)
    before = current_version_path(index)
    (corpus / "more.txt").write_text("More\n\nAnother fact about lava fields.\n")

    import numpy as np

    real_save = np.save

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        build_index(corpus, index, CountingEmbedder(), chunking)
    monkeypatch.setattr(np, "save", real_save)
    assert current_version_path(index) == before
    assert not list((index / "versions").glob(".tmp-*"))
    assert len(load_version(index).documents) == 2
    assert build_index(corpus, index, CountingEmbedder(), chunking).added == 1


def test_a_journal_write_the_disk_refuses_leaves_no_partial_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / journal.QUESTIONS_FILE
    record = journal.QuestionRecord(utc_now(), "abc", "Who?", False, 0.1, 5.0, ())
    journal.append(path, record)
    size = path.stat().st_size
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:
        return real_write(fd, data[: len(data) // 2])  # the disk filled up mid-line

    monkeypatch.setattr(os, "write", short_write)
    with pytest.raises(OSError, match="short write"):
        journal.append(path, record)
    monkeypatch.setattr(os, "write", real_write)
    assert path.stat().st_size == size
    journal.append(path, record)
    assert len(list(journal.read(path))) == 2
