"""An upgrade that reads a format otherwise (``READERS_VERSION``) reads the corpus again."""

from pathlib import Path

import numpy as np
import pytest

import index.documents as documents
from index.build import build_index
from index.config import ChunkingSettings
from index.documents import READERS_VERSION
from index.errors import DocumentError
from index.store import current_version_path, load_version
from tests.conftest import CountingEmbedder, edit_manifest


def _as_lines(raw: bytes, source: str) -> tuple[str, list[str], str | None]:
    """As a naive older reader did: every line its own paragraph, markup kept."""
    lines = [line for line in raw.decode("utf-8").splitlines() if line.strip()]
    return "", lines, None


def test_documents_read_otherwise_by_new_readers_are_embedded_again(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "notes.md").write_text(
        "# Notes\n\n> **Warning:** unplug the kettle before you fill it, and do not\n"
        "> connect the filter while the water is hot.\n",
        encoding="utf-8",
    )
    index = tmp_path / "index"
    monkeypatch.setitem(documents._READERS, ".md", _as_lines)  # an older release's reader
    build_index(corpus, index, CountingEmbedder(), chunking)
    monkeypatch.undo()
    first = load_version(index)
    version = current_version_path(index)
    assert version is not None
    assert edit_manifest(version, lambda m: m["extra"].pop("readers")) == str(READERS_VERSION)

    counting = CountingEmbedder()
    summary = build_index(corpus, index, counting, chunking)
    # the two Markdown files read otherwise now (markup dropped, the quote's lines joined);
    # the text file reads as before and keeps its vectors
    assert summary.written and (summary.unchanged, summary.reembedded) == (1, 2)
    assert "new version: its readers were made otherwise" in summary.line()
    assert counting.texts and all("**" not in t and not t.startswith(">") for t in counting.texts)
    assert (
        "Warning: unplug the kettle before you fill it, and do not connect the filter while "
        "the water is hot." in counting.texts
    )
    second = load_version(index)
    assert second.manifest.extra["readers"] == str(READERS_VERSION)
    article = next(d for d in second.documents if d.source.endswith(".txt"))
    old_article = next(d for d in first.documents if d.source.endswith(".txt"))
    assert article == old_article
    rows = [i for i, c in enumerate(second.chunks) if c.doc_id == article.doc_id]
    old_rows = [i for i, c in enumerate(first.chunks) if c.doc_id == article.doc_id]
    assert np.array_equal(second.chunk_vectors[rows], first.chunk_vectors[old_rows])
    assert not build_index(corpus, index, CountingEmbedder(), chunking).written  # up to date


def test_documents_that_read_as_before_keep_every_vector(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """An index written before the readers' version was recorded, its files read as before:
    a new version records it, and nothing is embedded again."""
    index = _built_before_readers_were_recorded(corpus, tmp_path, chunking)
    again = CountingEmbedder()
    summary = build_index(corpus, index, again, chunking)
    assert summary.written and again.texts == [] and summary.unchanged == 2
    assert "nothing re-embedded" in summary.line()


def test_a_document_the_new_readers_cannot_read_is_kept_and_reported(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _built_before_readers_were_recorded(corpus, tmp_path, chunking)

    def broken(raw: bytes, source: str) -> tuple[str, list[str], str | None]:
        raise DocumentError(f"{source}: cannot parse it any more")

    monkeypatch.setitem(documents._READERS, ".md", broken)
    summary = build_index(corpus, index, CountingEmbedder(), chunking)
    assert summary.failed == ["volcanoes.md: cannot parse it any more (kept as read before)"]
    assert "volcanoes.md" in {d.source for d in load_version(index).documents}


def _built_before_readers_were_recorded(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> Path:
    """An index of ``corpus`` as a release before ``READERS_VERSION`` left it."""
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    version = current_version_path(index)
    assert version is not None
    edit_manifest(version, lambda m: m["extra"].pop("readers"))
    return index
